"""Keys inside a PKCS#11 token (SoftHSM2): generated in the token, never extractable,
certified by the development issuing CA, signing licences that pdfsig accepts."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from signing import KeyAlgorithm, KeyStore, KeyStoreError, LicenceSigner, Pki
from tests.signing.support import make_nss_db, pdfsig, validate_offline, write_pem
from tests.tooling import require_tool

pkcs11 = pytest.importorskip("pkcs11")

from signing.pkcs11_keystore import (  # noqa: E402 - after the importorskip above
    Pkcs11KeyStore,
    Pkcs11Token,
    close_token_session,
    find_softhsm_library,
    generate_pkcs11_key,
)

TOKEN_LABEL = "bizreg-test"
USER_PIN = "4321"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pkcs11Token]:
    """A fresh SoftHSM2 token in a directory the test owns."""
    softhsm_util = require_tool("softhsm2-util", "softhsm2")
    library = find_softhsm_library()
    if library is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("libsofthsm2.so not found although softhsm2-util is installed")
        pytest.skip("libsofthsm2.so not found")
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)  # read by the module when it initialises
    subprocess.run(
        [
            softhsm_util,
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--pin",
            USER_PIN,
            "--so-pin",
            "87654321",
        ],
        check=True,
        capture_output=True,
    )
    token = Pkcs11Token(library=library, label=TOKEN_LABEL, pin=USER_PIN)
    yield token
    close_token_session(token)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="module")
def token_keys(token: Pkcs11Token) -> dict[KeyAlgorithm, Pkcs11KeyStore]:
    return {
        "rsa-2048": generate_pkcs11_key(token, "licence-rsa", "rsa-2048"),
        "ecdsa-p256": generate_pkcs11_key(token, "licence-ec", "ecdsa-p256"),
    }


@pytest.mark.parametrize("algorithm", ["rsa-2048", "ecdsa-p256"])
def test_signatures_verify_with_the_public_key(
    token_keys: dict[KeyAlgorithm, Pkcs11KeyStore], algorithm: KeyAlgorithm
) -> None:
    store = token_keys[algorithm]
    assert isinstance(store, KeyStore)
    assert store.algorithm == algorithm
    signature = store.sign(b"licence", "sha256")
    public = store.public_key
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, b"licence", padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, b"licence", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("algorithm", ["rsa-2048", "ecdsa-p256"])
def test_private_key_cannot_leave_the_token(
    token_keys: dict[KeyAlgorithm, Pkcs11KeyStore], algorithm: KeyAlgorithm
) -> None:
    from pkcs11 import Attribute
    from pkcs11.exceptions import AttributeSensitive

    key = token_keys[algorithm].private_key_object
    assert key[Attribute.SENSITIVE] is True
    assert key[Attribute.EXTRACTABLE] is False
    secret = Attribute.PRIVATE_EXPONENT if algorithm == "rsa-2048" else Attribute.VALUE
    with pytest.raises(AttributeSensitive):
        key[secret]


def test_a_second_store_shares_the_login(
    token: Pkcs11Token, token_keys: dict[KeyAlgorithm, Pkcs11KeyStore]
) -> None:
    # Tokens refuse a second login per application (CKR_USER_ALREADY_LOGGED_IN): a second key
    # store on the same token reuses the one session.
    again = Pkcs11KeyStore(token, "licence-ec")
    assert again.public_key == token_keys["ecdsa-p256"].public_key
    with pytest.raises(KeyStoreError):
        Pkcs11KeyStore(token, "no-such-key")


@pytest.mark.parametrize("algorithm", ["rsa-2048", "ecdsa-p256"])
def test_token_key_signs_a_licence_pdfsig_accepts(
    make_pki: Callable[..., Pki],
    token_keys: dict[KeyAlgorithm, Pkcs11KeyStore],
    algorithm: KeyAlgorithm,
    licence_pdf: bytes,
    pdfsig_tool: str,
    tmp_path: Path,
) -> None:
    store = token_keys[algorithm]
    hsm_pki = make_pki(f"hsm-{algorithm}")
    cert = hsm_pki.issue_signing_certificate(store.public_key)
    assert hsm_pki.signer_key_is_external
    assert hsm_pki.signer_key_path is None
    assert not list((hsm_pki.directory / "signers").glob("*.key.pem"))  # previous key destroyed
    signer = LicenceSigner.for_pki(hsm_pki, keystore=store)
    assert signer.signer_certificate == cert
    pdf = signer.sign(licence_pdf)
    assert validate_offline(pdf, hsm_pki.root_certificate).bottom_line
    root = write_pem(tmp_path / "root.pem", hsm_pki.root_certificate)
    nss = make_nss_db(require_tool("certutil", "libnss3-tools"), tmp_path / "nss", root)
    path = tmp_path / "licence.pdf"
    path.write_bytes(pdf)
    report = pdfsig(pdfsig_tool, nss, path)
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report
