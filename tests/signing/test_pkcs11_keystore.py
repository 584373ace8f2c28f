"""Keys inside a PKCS#11 token (SoftHSM2): generated in the token, never extractable,
certified by the development issuing CA, signing licences that pdfsig accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from signing import KeyAlgorithm, KeyStore, KeyStoreError, LicenceSigner, Pki
from tests.signing.support import make_nss_db, pdfsig, validate_offline, write_pem
from tests.tooling import SOFTHSM_TOKENS, require_tool

pkcs11 = pytest.importorskip("pkcs11")

from signing.pkcs11_keystore import (  # noqa: E402 - after the importorskip above
    Pkcs11KeyStore,
    Pkcs11Token,
    close_token_session,
    generate_pkcs11_key,
)

TOKEN_LABEL = "bizreg-test"
USER_PIN = SOFTHSM_TOKENS[TOKEN_LABEL]


@pytest.fixture(scope="module")
def token(softhsm_library: str) -> Iterator[Pkcs11Token]:
    """The run's SoftHSM2 token for these tests (tests/conftest.py: softhsm_library)."""
    token = Pkcs11Token(library=softhsm_library, label=TOKEN_LABEL, pin=USER_PIN)
    yield token
    close_token_session(token)


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
