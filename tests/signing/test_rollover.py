"""PKI rollovers for archive renewal: a new TSA before the old expires, a new issuing CA that
certifies a new TSA and signer while the retired CA keeps issuing CRLs for what it issued."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import signing.pki
from signing import RevocationReason, init_pki
from signing.pki import SIGNER_RENEWAL


def _ec(cert: x509.Certificate) -> ec.EllipticCurvePublicKey:
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)  # the development hierarchy's P-256
    return key


def test_issuing_ca_rollover_keeps_the_retired_ca_issuing_crls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = init_pki(tmp_path / "pki", public_base_url="https://ca.example", passphrase="x" * 12)
    old_ca, old_tsa, old_signer = (
        pki.issuing_certificate,
        pki.tsa_certificate,
        pki.signer_certificate,
    )
    later = old_ca.not_valid_after_utc - dt.timedelta(days=600)
    monkeypatch.setattr(signing.pki, "_now", lambda: later)

    assert pki.roll_over(dt.timedelta(days=365)) == ["issuing_ca"]
    assert pki.issuing_certificate != old_ca
    assert pki.tsa_certificate.issuer == pki.issuing_certificate.subject
    pki.tsa_certificate.verify_directly_issued_by(pki.issuing_certificate)
    pki.signer_certificate.verify_directly_issued_by(pki.issuing_certificate)
    # New certificates end no later than their issuer.
    assert pki.tsa_certificate.not_valid_after_utc <= pki.issuing_certificate.not_valid_after_utc
    assert old_ca in pki.retired_issuing_certificates
    assert old_tsa in pki.retired_tsa_certificates

    # Current issuing CA, root, and the retired CA (until it expires) publish CRLs.
    crls = [x509.load_der_x509_crl(der) for der in pki.crls_der()]
    assert [c.issuer for c in crls] == [
        pki.issuing_certificate.subject,
        pki.root_certificate.subject,
        old_ca.subject,
    ]
    assert crls[2].is_signature_valid(_ec(old_ca))
    assert crls[0].is_signature_valid(_ec(pki.issuing_certificate))

    # A certificate the retired CA issued is revoked on the retired CA's CRL.
    pki.revoke_certificate(old_signer.serial_number, RevocationReason.SUPERSEDED)
    retired_crl = x509.load_der_x509_crl(pki.crls_der()[2])
    assert retired_crl.get_revoked_certificate_by_serial_number(old_signer.serial_number)
    assert crls[0].get_revoked_certificate_by_serial_number(old_signer.serial_number) is None

    # Once the retired CA has expired, its CRL is no longer offered.
    after = old_ca.not_valid_after_utc + dt.timedelta(days=1)
    monkeypatch.setattr(signing.pki, "_now", lambda: after)
    assert len(pki.crls_der()) == 2


def test_tsa_rollover_before_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pki = init_pki(tmp_path / "pki", public_base_url="https://ca.example", passphrase="x" * 12)
    old = pki.tsa_certificate
    margin = dt.timedelta(days=365)
    monkeypatch.setattr(signing.pki, "_now", lambda: old.not_valid_after_utc - 2 * margin)
    # Three years on: the TSA is not due, the two-year licence signer long since was.
    assert pki.roll_over(margin) == ["signer"]
    monkeypatch.setattr(signing.pki, "_now", lambda: old.not_valid_after_utc - margin / 2)
    assert pki.roll_over(margin) == ["tsa"]
    assert pki.tsa_certificate != old
    assert pki.tsa_key().public_key() == pki.tsa_certificate.public_key()
    assert old in pki.retired_tsa_certificates
    # Another process loading the directory sees the new TSA.
    again = signing.pki.load_pki(pki.directory, "x" * 12)
    assert again.tsa_certificate == pki.tsa_certificate


def test_a_running_process_follows_a_rollover_made_by_another(tmp_path: Path) -> None:
    """The API process keeps its authority in memory while the worker's archive job rolls the
    TSA and the issuing CA over: its next licence is timestamped and chained by the new ones,
    without a restart."""
    from registration.issuance.authority import build_authority
    from registration.settings import Settings
    from signing.verification import Indication
    from templates.specimens import SPECIMENS
    from verification import LicenceVerifier

    settings = Settings(data_dir=tmp_path / "var")
    serving = build_authority(settings)  # e.g. an API process
    rolling = build_authority(settings)  # the worker, in another process
    before = serving.issue_pdf(SPECIMENS["paris"])
    old_tsa, old_signer = serving.tsa.certificate, serving.signer_certificate
    assert rolling.pki.rotate_issuing_ca() != old_tsa.issuer  # a new CA, new TSA and signer

    after = serving.issue_pdf(SPECIMENS["paris"])
    assert serving.tsa.certificate == rolling.pki.tsa_certificate != old_tsa
    assert serving.signer_certificate == rolling.pki.signer_certificate != old_signer
    verifier = LicenceVerifier([serving.pki.root_certificate])
    for pdf, tsa in ((before, old_tsa), (after, rolling.pki.tsa_certificate)):
        report = verifier.verify(pdf)
        assert report.indication == Indication.TOTAL_PASSED, report.reason
        timestamp = report.signature.timestamp
        assert timestamp is not None
        assert timestamp.authority is not None
        assert int(timestamp.authority.serial_number, 16) == tsa.serial_number

    # A change that rolls nothing over (a revocation re-issues the CRL) keeps the signer.
    signer = serving.signer
    rolling.pki.revoke_certificate(old_signer.serial_number, RevocationReason.SUPERSEDED)
    serving.follow_pki()
    assert serving.signer is signer
    assert [e.serial_number for e in serving.pki.revoked_entries()] == [old_signer.serial_number]


def test_a_retired_ca_keeps_its_addresses_after_a_rollover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a certificate names as its CA's certificate and CRL keeps answering for that CA
    after its successor took over `/pki/issuing.pem` and `/pki/crl`: a revocation of a
    certificate the retired CA issued is found where the certificate says to look."""
    from fastapi.testclient import TestClient

    from registration.app import create_app
    from registration.issuance.authority import build_authority
    from registration.settings import Settings

    settings = Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path}/db")
    authority = build_authority(settings)
    old_ca, old_signer = authority.pki.issuing_certificate, authority.pki.signer_certificate
    authority.pki.rotate_issuing_ca()
    authority.pki.revoke_certificate(old_signer.serial_number, RevocationReason.KEY_COMPROMISE)
    base = settings.base_url
    with TestClient(create_app(settings, authority=authority), base_url=base) as client:
        crl_url = old_signer.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        named = crl_url.value[0].full_name
        assert named is not None
        path = str(named[0].value).removeprefix(base)
        crl = x509.load_der_x509_crl(client.get(path).content)
        assert crl.issuer == old_ca.subject
        assert crl.is_signature_valid(_ec(old_ca))
        assert crl.get_revoked_certificate_by_serial_number(old_signer.serial_number)
        pem = client.get(path.removesuffix(".crl") + ".pem")
        assert x509.load_pem_x509_certificate(pem.content) == old_ca
        # The successor answers at the usual addresses, and the bundle holds all three.
        current = x509.load_der_x509_crl(client.get("/pki/crl").content)
        assert current.issuer == authority.pki.issuing_certificate.subject != old_ca.subject
        assert current.is_signature_valid(_ec(authority.pki.issuing_certificate))
        bundle = client.get("/pki/crls.pem")
        assert bundle.headers["content-type"].startswith("application/x-pem-file")
        assert bundle.content.count(b"-----BEGIN X509 CRL-----") == 3
        unknown = client.get("/pki/ca/123abc.crl")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "ca_not_found"

    # Once the retired CA has expired it issues no more CRLs, and its address says so.
    later = old_ca.not_valid_after_utc + dt.timedelta(days=1)
    monkeypatch.setattr(signing.pki, "_now", lambda: later)
    with pytest.raises(LookupError):
        authority.pki.issuing_ca(f"{old_ca.serial_number:x}")


def test_the_licence_signer_is_renewed_before_its_certificate_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two-year signing certificates: without renewal the service would stop signing on the
    day the first one ends. A key kept here is replaced; a key held elsewhere (a token) is
    certified anew, and no key file appears."""
    pki = init_pki(tmp_path / "pki", public_base_url="https://ca.example", passphrase="x" * 12)
    margin = dt.timedelta(days=365)
    first = pki.signer_certificate
    ends = first.not_valid_after_utc
    monkeypatch.setattr(signing.pki, "_now", lambda: ends - SIGNER_RENEWAL - dt.timedelta(days=1))
    assert pki.roll_over(margin) == []
    monkeypatch.setattr(signing.pki, "_now", lambda: ends - SIGNER_RENEWAL + dt.timedelta(days=1))
    assert pki.roll_over(margin) == ["signer"]
    second = pki.signer_certificate
    assert second.public_key() != first.public_key()
    assert pki.signer_key().public_key() == second.public_key()
    assert second.not_valid_after_utc > ends

    # A key in a token: the same public key, certified anew; still nothing in a file.
    token_key = ec.generate_private_key(ec.SECP256R1())
    pki.issue_signing_certificate(token_key.public_key())
    external = pki.signer_certificate
    monkeypatch.setattr(
        signing.pki, "_now", lambda: external.not_valid_after_utc - dt.timedelta(days=10)
    )
    assert pki.roll_over(margin) == ["signer"]
    renewed = pki.signer_certificate
    assert renewed != external
    assert renewed.public_key() == token_key.public_key()
    assert pki.signer_key_is_external
    assert pki.signer_key_path is None
    assert not list((pki.directory / "signers").glob("*.key.pem"))
    renewed.verify_directly_issued_by(pki.issuing_certificate)
    # No certificate outlives its issuer.
    assert renewed.not_valid_after_utc <= pki.issuing_certificate.not_valid_after_utc


def test_a_token_tsa_key_is_certified_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pki = init_pki(tmp_path / "pki", public_base_url="https://ca.example", passphrase="x" * 12)
    token_key = ec.generate_private_key(ec.SECP256R1())
    first = pki.issue_timestamping_certificate(token_key.public_key())
    assert pki.tsa_key_is_external
    assert len(pki.retired_tsa_certificates) == 1  # the file key's certificate, retired
    monkeypatch.setattr(
        signing.pki, "_now", lambda: first.not_valid_after_utc - dt.timedelta(days=100)
    )
    assert "tsa" in pki.roll_over(dt.timedelta(days=365))
    assert pki.tsa_certificate != first
    assert pki.tsa_certificate.public_key() == token_key.public_key()
    assert first in pki.retired_tsa_certificates
    assert not (pki.directory / "tsa.key.pem").exists()
