"""The development PKI: certificate profiles, keys at rest, idempotence, rotation, CRLs."""

from __future__ import annotations

import datetime as dt
import json
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from signing import (
    DOCUMENT_SIGNING_EKU,
    CrlPolicy,
    Pki,
    PkiNotFound,
    RevocationReason,
    UnknownCertificate,
    WrongPassphrase,
    init_pki,
    load_pki,
)
from signing.keys import load_encrypted_private_key
from tests.signing.conftest import PASSPHRASE
from tests.tooling import require_tool


def _ext(
    cert: x509.Certificate, kind: type[x509.ExtensionType]
) -> x509.Extension[x509.ExtensionType]:
    return cert.extensions.get_extension_for_class(kind)


def _aia_ca_issuers(cert: x509.Certificate) -> list[str]:
    aia = _ext(cert, x509.AuthorityInformationAccess).value
    assert isinstance(aia, x509.AuthorityInformationAccess)
    return [
        d.access_location.value
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
    ]


def _crl_urls(cert: x509.Certificate) -> list[str]:
    points = _ext(cert, x509.CRLDistributionPoints).value
    assert isinstance(points, x509.CRLDistributionPoints)
    return [name.value for point in points for name in point.full_name or ()]


def test_files_written_by_init(pki: Pki) -> None:
    names = {p.name for p in pki.directory.iterdir()}
    assert {
        "pki.json",
        "root.pem",
        "root.key.pem",
        "issuing.pem",
        "issuing.key.pem",
        "signer.pem",
        "tsa.pem",
        "tsa.key.pem",
        "crl.der",
        "root-crl.der",
        "signers",
    } <= names
    assert pki.signer_key_path is not None
    assert pki.signer_key_path.exists()
    for key_file in [*pki.directory.glob("*.key.pem"), pki.signer_key_path]:
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, key_file
    assert stat.S_IMODE((pki.directory / "root.pem").stat().st_mode) == 0o644


def test_licence_signing_certificate_profile(pki: Pki) -> None:
    cert = pki.signer_certificate
    key_usage = _ext(cert, x509.KeyUsage)
    assert key_usage.critical
    assert isinstance(key_usage.value, x509.KeyUsage)
    assert key_usage.value.digital_signature
    assert key_usage.value.content_commitment
    assert not key_usage.value.key_cert_sign
    assert not key_usage.value.key_encipherment
    eku = _ext(cert, x509.ExtendedKeyUsage).value
    assert isinstance(eku, x509.ExtendedKeyUsage)
    # RFC 9336 documentSigning; emailProtection so that NSS (pdfsig) accepts the signer.
    assert set(eku) == {DOCUMENT_SIGNING_EKU, ExtendedKeyUsageOID.EMAIL_PROTECTION}
    basic = _ext(cert, x509.BasicConstraints)
    assert basic.critical
    assert isinstance(basic.value, x509.BasicConstraints)
    assert not basic.value.ca
    # The issuing CA's own addresses, which stay its own when a successor takes over.
    ca = f"{pki.public_base_url}/pki/ca/{pki.issuing_certificate.serial_number:x}"
    assert _aia_ca_issuers(cert) == [f"{ca}.pem"]
    assert _crl_urls(cert) == [f"{ca}.crl"]
    assert cert.issuer == pki.issuing_certificate.subject


def test_timestamping_certificate_profile(pki: Pki) -> None:
    cert = pki.tsa_certificate
    eku = _ext(cert, x509.ExtendedKeyUsage)
    # RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, critical.
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]  # type: ignore[call-overload]
    ca = f"{pki.public_base_url}/pki/ca/{pki.issuing_certificate.serial_number:x}"
    assert _crl_urls(cert) == [f"{ca}.crl"]
    assert _aia_ca_issuers(cert) == [f"{ca}.pem"]


def test_ca_certificate_profiles(pki: Pki) -> None:
    root, issuing = pki.root_certificate, pki.issuing_certificate
    assert root.issuer == root.subject
    for cert, path_length in ((root, 1), (issuing, 0)):
        basic = _ext(cert, x509.BasicConstraints)
        assert basic.critical
        assert isinstance(basic.value, x509.BasicConstraints)
        assert basic.value.ca
        assert basic.value.path_length == path_length
        usage = _ext(cert, x509.KeyUsage).value
        assert isinstance(usage, x509.KeyUsage)
        assert usage.key_cert_sign
        assert usage.crl_sign
        assert not usage.digital_signature
    # The root by serial number: `root.pem` and `root-crl` follow a root rollover.
    assert _aia_ca_issuers(issuing) == [f"{pki.public_base_url}/pki/ca/{root.serial_number:x}.pem"]
    assert _crl_urls(issuing) == [f"{pki.public_base_url}/pki/ca/{root.serial_number:x}.crl"]


def test_openssl_verifies_every_chain(pki: Pki) -> None:
    openssl = require_tool("openssl", "openssl")
    directory = pki.directory
    result = subprocess.run(
        [
            openssl,
            "verify",
            "-x509_strict",
            "-CAfile",
            str(directory / "root.pem"),
            "-untrusted",
            str(directory / "issuing.pem"),
            str(directory / "signer.pem"),
            str(directory / "tsa.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_crls_are_signed_by_their_issuers(pki: Pki) -> None:
    issuing_crl = x509.load_der_x509_crl(pki.current_crl_der())
    root_crl = x509.load_der_x509_crl(pki.root_crl_der())
    assert issuing_crl.issuer == pki.issuing_certificate.subject
    assert issuing_crl.is_signature_valid(pki.issuing_certificate.public_key())  # type: ignore[arg-type]
    assert root_crl.is_signature_valid(pki.root_certificate.public_key())  # type: ignore[arg-type]
    assert issuing_crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number >= 1
    assert issuing_crl.next_update_utc is not None
    assert issuing_crl.next_update_utc > dt.datetime.now(dt.UTC)


def test_key_files_are_encrypted_pkcs8(pki: Pki) -> None:
    assert pki.signer_key_path is not None
    assert pki.signer_key_path.parent.name == "signers"
    pem = pki.signer_key_path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # cryptography refuses to open it without a password
        serialization.load_pem_private_key(pem, password=None)
    with pytest.raises(WrongPassphrase):
        load_encrypted_private_key(pem, b"not the passphrase")
    key = load_encrypted_private_key(pem, PASSPHRASE.encode())
    assert key.public_key() == pki.signer_certificate.public_key()


def test_openssl_reads_our_encrypted_keys(pki: Pki) -> None:
    openssl = require_tool("openssl", "openssl")
    result = subprocess.run(
        [
            openssl,
            "pkey",
            "-in",
            str(pki.directory / "tsa.key.pem"),
            "-passin",
            f"pass:{PASSPHRASE}",
            "-noout",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_load_with_wrong_passphrase_fails_at_once(pki: Pki) -> None:
    with pytest.raises(WrongPassphrase):
        load_pki(pki.directory, "wrong")


def test_load_without_hierarchy(tmp_path: Path) -> None:
    with pytest.raises(PkiNotFound):
        load_pki(tmp_path, PASSPHRASE)


def test_init_is_idempotent(pki: Pki) -> None:
    manifest_before = (pki.directory / "pki.json").read_bytes()
    again = init_pki(pki.directory, public_base_url=pki.public_base_url, passphrase=PASSPHRASE)
    assert again.root_certificate == pki.root_certificate
    assert again.signer_certificate == pki.signer_certificate
    assert (pki.directory / "pki.json").read_bytes() == manifest_before


def test_rsa_hierarchy(tmp_path: Path) -> None:
    rsa_pki = init_pki(
        tmp_path,
        public_base_url="https://licences.example",
        passphrase=PASSPHRASE,
        key_algorithm="rsa-2048",
    )
    for cert in (rsa_pki.root_certificate, rsa_pki.signer_certificate, rsa_pki.tsa_certificate):
        key = cert.public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        assert key.key_size == 2048
    assert json.loads((tmp_path / "pki.json").read_text())["key_algorithm"] == "rsa-2048"


def test_rotation_keeps_the_old_certificate(make_pki: Callable[..., Pki]) -> None:
    rotating = make_pki("rotation-files")
    old = rotating.signer_certificate
    old_key_path = rotating.signer_key_path
    new = rotating.rotate_signer()
    assert new != old
    assert rotating.signer_certificate == new
    assert rotating.signer_key().public_key() == new.public_key()
    assert old in rotating.signer_certificates
    assert new in rotating.signer_certificates
    assert old_key_path is not None
    assert not old_key_path.exists()  # the retired key is destroyed
    assert (rotating.directory / "signer.pem").read_bytes() == new.public_bytes(
        serialization.Encoding.PEM
    )
    reloaded = load_pki(rotating.directory, PASSPHRASE)
    assert reloaded.signer_certificate == new
    assert {c.serial_number for c in reloaded.signer_certificates} >= {
        old.serial_number,
        new.serial_number,
    }
    # Rotation is not revocation: licences signed with the old certificate stay valid.
    crl = x509.load_der_x509_crl(reloaded.current_crl_der())
    assert crl.get_revoked_certificate_by_serial_number(old.serial_number) is None


def test_revocation_reissues_the_crl(make_pki: Callable[..., Pki]) -> None:
    revoking = make_pki("revocation-crl")
    before = x509.load_der_x509_crl(revoking.current_crl_der())
    serial = revoking.tsa_certificate.serial_number
    revoking.revoke_certificate(serial, RevocationReason.KEY_COMPROMISE)
    after = x509.load_der_x509_crl(revoking.current_crl_der())
    entry = after.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value
    assert reason.reason == x509.ReasonFlags.key_compromise
    number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    # Revoking the issuing CA goes on the root's CRL.
    revoking.revoke_certificate(
        revoking.issuing_certificate.serial_number, RevocationReason.CA_COMPROMISE
    )
    root_crl = x509.load_der_x509_crl(revoking.root_crl_der())
    assert (
        root_crl.get_revoked_certificate_by_serial_number(
            revoking.issuing_certificate.serial_number
        )
        is not None
    )
    # Another process sees the revocations.
    assert len(load_pki(revoking.directory, PASSPHRASE).revoked_entries()) == 2
    with pytest.raises(UnknownCertificate):
        revoking.revoke_certificate(12345)


def test_crl_is_reissued_before_it_lapses(tmp_path: Path) -> None:
    init_pki(tmp_path, public_base_url="https://licences.example", passphrase=PASSPHRASE)
    # Loaded with a 30-day period, the 7-day CRL written at init is past half its period:
    # the next read re-issues it rather than serve a CRL that relying parties would soon reject.
    longer = load_pki(
        tmp_path, PASSPHRASE, crl_policy=CrlPolicy(issuing_period=dt.timedelta(days=30))
    )
    first = x509.load_der_x509_crl((tmp_path / "crl.der").read_bytes())
    second = x509.load_der_x509_crl(longer.current_crl_der())
    number = second.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert second.next_update_utc is not None
    assert first.next_update_utc is not None
    assert second.next_update_utc > first.next_update_utc
    # ... once: the re-issued CRL is fresh.
    assert longer.current_crl_der() == longer.current_crl_der()


def test_long_organization_names_fit_x520(tmp_path: Path) -> None:
    organization = "Dongguan Administration for Market Regulation (Songshan Lake)"  # 62
    long_named = init_pki(
        tmp_path,
        public_base_url="https://licences.example",
        passphrase=PASSPHRASE,
        organization=organization,
    )
    for cert in (long_named.root_certificate, long_named.signer_certificate):
        common_name = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        assert len(common_name) <= 64  # ub-common-name: the role alone when both do not fit
    with pytest.raises(ValueError, match="64"):
        init_pki(
            tmp_path / "other",
            public_base_url="https://licences.example",
            passphrase=PASSPHRASE,
            organization="x" * 65,
        )


def test_hierarchy_with_the_earlier_key_layout_loads(tmp_path: Path) -> None:
    created = init_pki(tmp_path, public_base_url="https://licences.example", passphrase=PASSPHRASE)
    assert created.signer_key_path is not None
    created.signer_key_path.rename(tmp_path / "signer.key.pem")  # where keys used to live
    reloaded = load_pki(tmp_path, PASSPHRASE)
    assert reloaded.signer_key().public_key() == reloaded.signer_certificate.public_key()
    assert created.signer_key_path.exists()
    assert not (tmp_path / "signer.key.pem").exists()
