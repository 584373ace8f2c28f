"""PKI rollovers for archive renewal: a new TSA before the old expires, a new issuing CA that
certifies a new TSA and signer while the retired CA keeps issuing CRLs for what it issued."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine

import signing.pki
from signing import RevocationReason, init_pki
from signing.pki import SIGNER_RENEWAL
from tests.tooling import require_tool


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
        authority.pki.ca(f"{old_ca.serial_number:x}")


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


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _openssl_verify(
    directory: Path,
    trusted: bytes,
    untrusted: bytes,
    leaf: x509.Certificate,
    at: dt.datetime | None,
) -> subprocess.CompletedProcess[str]:
    """`openssl verify` at `at`, or without checking times at all."""
    openssl = require_tool("openssl", "openssl")
    for name, data in (
        ("trusted.pem", trusted),
        ("untrusted.pem", untrusted),
        ("leaf.pem", _pem(leaf)),
    ):
        (directory / name).write_bytes(data)
    return subprocess.run(
        [
            openssl,
            "verify",
            *(["-no_check_time"] if at is None else ["-attime", str(int(at.timestamp()))]),
            "-CAfile",
            str(directory / "trusted.pem"),
            "-untrusted",
            str(directory / "untrusted.pem"),
            str(directory / "leaf.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_root_rollover_cross_certifies_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new root four margins before the old one ends (the issuing CAs it certifies would be
    cut short by its end otherwise), certified by the old one and certifying it: openssl
    builds a path from a new signer to the old root, and from a signer of the old hierarchy
    to the new root. The old root keeps issuing the CRL of what it certified until it ends."""
    pki = init_pki(tmp_path / "pki", public_base_url="https://ca.example", passphrase="x" * 12)
    old_root, old_ca, old_signer = (
        pki.root_certificate,
        pki.issuing_certificate,
        pki.signer_certificate,
    )
    margin = dt.timedelta(days=365)
    ends = old_root.not_valid_after_utc
    monkeypatch.setattr(signing.pki, "_now", lambda: ends - 4 * margin - dt.timedelta(days=1))
    assert "root" not in pki.roll_over(margin)
    then = ends - 4 * margin + dt.timedelta(days=1)
    monkeypatch.setattr(signing.pki, "_now", lambda: then)
    assert pki.roll_over(margin)[:2] == ["root", "issuing_ca"]

    new_root = pki.root_certificate
    assert new_root.subject.rfc4514_string().startswith("CN=bizreg development Root CA G2")
    new_root.verify_directly_issued_by(new_root)
    pki.issuing_certificate.verify_directly_issued_by(new_root)
    pki.signer_certificate.verify_directly_issued_by(pki.issuing_certificate)
    assert pki.trust_roots == (new_root, old_root)
    old_with_new, bridge = sorted(
        pki.cross_certificates, key=lambda c: c.issuer == old_root.subject
    )
    old_with_new.verify_directly_issued_by(new_root)
    assert old_with_new.subject == old_root.subject
    assert old_with_new.public_key() == old_root.public_key()
    assert old_with_new.not_valid_before_utc == old_root.not_valid_before_utc
    assert old_with_new.not_valid_after_utc == old_root.not_valid_after_utc
    # The new issuing CA, certified by the old root too: signatures carry it while it lasts.
    bridge.verify_directly_issued_by(old_root)
    assert bridge.subject == pki.issuing_certificate.subject
    assert bridge.public_key() == pki.issuing_certificate.public_key()
    assert bridge.not_valid_after_utc <= old_root.not_valid_after_utc
    assert pki.chain == (pki.issuing_certificate, new_root, bridge, old_root)

    # Independent path building (openssl): a new signer, trusting only the old root...
    bridged = _openssl_verify(tmp_path, _pem(old_root), _pem(bridge), pki.signer_certificate, then)
    assert bridged.returncode == 0, bridged.stderr
    # ... not without the bridge...
    cut = _openssl_verify(
        tmp_path, _pem(old_root), _pem(pki.issuing_certificate), pki.signer_certificate, then
    )
    assert cut.returncode != 0
    # ... and a signer of the old hierarchy, in its time (before the new root existed: the
    # timestamp's point), trusting only the new root.
    back = _openssl_verify(tmp_path, _pem(new_root), _pem(old_ca, old_with_new), old_signer, None)
    assert back.returncode == 0, back.stderr

    # The retired root issues the CRL of what it certified; the new root's CRL is its own.
    crls = {c.issuer: c for c in map(x509.load_der_x509_crl, pki.crls_der())}
    assert set(crls) >= {old_root.subject, new_root.subject}  # (the first issuing CA has ended)
    assert crls[old_root.subject].is_signature_valid(_ec(old_root))
    pki.revoke_certificate(bridge.serial_number, RevocationReason.SUPERSEDED)
    crls = {c.issuer: c for c in map(x509.load_der_x509_crl, pki.crls_der())}
    assert crls[old_root.subject].get_revoked_certificate_by_serial_number(bridge.serial_number)
    assert (
        crls[new_root.subject].get_revoked_certificate_by_serial_number(bridge.serial_number)
        is None
    )
    ca, read = pki.ca(f"{old_root.serial_number:x}")
    assert ca == old_root
    assert x509.load_der_x509_crl(read()).issuer == old_root.subject

    # Another process sees the same hierarchy.
    again = signing.pki.load_pki(pki.directory, "x" * 12)
    assert again.trust_roots == pki.trust_roots
    assert again.chain == pki.chain

    # Once the old root has ended: no more bridge, no more CRL from it.
    monkeypatch.setattr(signing.pki, "_now", lambda: ends + dt.timedelta(days=1))
    assert pki.chain == (pki.issuing_certificate, new_root)
    assert old_root.subject not in {x509.load_der_x509_crl(der).issuer for der in pki.crls_der()}


def test_licences_verify_across_a_root_rollover(
    tmp_path: Path, engine: Engine, database_url: str
) -> None:
    """After a root rollover, a relying party still trusting only the old root verifies a new
    licence (through the cross-certificate it carries), one that switched to the new root
    verifies it too, and the service's own verifier (every root of the authority) verifies
    licences from both sides of the rollover."""
    from fastapi.testclient import TestClient

    from registration.app import create_app
    from registration.issuance.authority import build_authority
    from registration.services.verification import service_verifier
    from registration.settings import Settings
    from signing.verification import Indication
    from templates.specimens import SPECIMENS
    from verification import LicenceVerifier

    settings = Settings(data_dir=tmp_path / "var", database_url=database_url)
    serving = build_authority(settings)
    old_root = serving.pki.root_certificate
    before = serving.issue_pdf(SPECIMENS["paris"])
    rolling = build_authority(settings)  # the worker's archive job, in another process
    new_root = rolling.pki.rotate_root()
    after = serving.issue_pdf(SPECIMENS["paris"])
    assert serving.pki.root_certificate == new_root != old_root

    crls = serving.pki.crls_der
    for roots, pdfs in (
        ([old_root], (before, after)),
        ([new_root], (after,)),
        (list(serving.pki.trust_roots), (before, after)),
    ):
        for pdf in pdfs:
            report = LicenceVerifier(roots, crls=crls).verify(pdf)
            assert report.indication == Indication.TOTAL_PASSED, (roots, report.reason)
    service = service_verifier(serving, 10 * 1024 * 1024)
    assert all(service.verify(pdf).passed for pdf in (before, after))
    # A relying party trusting only the new root cannot vouch for the old signature by itself.
    assert not LicenceVerifier([new_root], crls=crls).verify(before).passed

    # Offline, the licence's own validation data holds the old root's CRL for that path.
    offline = LicenceVerifier([old_root]).verify(after)
    assert offline.indication == Indication.TOTAL_PASSED, (offline.reason, offline.problems)

    # Poppler's pdfsig (NSS) with only the old root finds the path through the old root's
    # certificate of the new issuing CA (pyHanko's CLI, which checks revocation online, is in
    # tests/issuance/test_trust_and_remote_verify.py, against a live service).
    from tests.issuance.test_independent_validators import _nss_db, pdfsig

    files = tmp_path / "files"
    files.mkdir()
    (files / "after.pdf").write_bytes(after)
    (files / "old-root.pem").write_bytes(_pem(old_root))
    report = pdfsig(files / "after.pdf", _nss_db(files / "old-root.pem", tmp_path / "nss"))
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report

    with TestClient(create_app(settings, authority=serving), base_url=settings.base_url) as client:
        roots = x509.load_pem_x509_certificates(client.get("/pki/roots.pem").content)
        assert roots == [new_root, old_root]
        cross = x509.load_pem_x509_certificates(client.get("/pki/cross.pem").content)
        assert len(cross) == 2
        assert x509.load_pem_x509_certificate(client.get("/pki/root.pem").content) == new_root
        old = client.get(f"/pki/ca/{old_root.serial_number:x}.crl")
        assert x509.load_der_x509_crl(old.content).issuer == old_root.subject
        for pdf in (before, after):
            verdict = client.post(
                "/api/v1/verify", files={"file": ("l.pdf", pdf, "application/pdf")}
            ).json()
            assert verdict.get("indication") == "TOTAL_PASSED", verdict


def test_pki_cli_status_and_roll_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bizreg pki status` says when each certificate ends and exits 3 while a rollover is
    due; `bizreg pki roll-over` does what the worker would (`--dry-run` only says it)."""
    from click.testing import CliRunner

    from registration.cli import main
    from registration.issuance.authority import build_authority
    from registration.settings import Settings

    monkeypatch.setenv("BIZREG_DATA_DIR", str(tmp_path / "var"))
    settings = Settings()
    root = build_authority(settings).pki.root_certificate
    runner = CliRunner()
    fine = runner.invoke(main, ["pki", "status"])
    assert fine.exit_code == 0, fine.output
    assert f"root        {root.not_valid_after_utc:%Y-%m-%d}" in fine.output
    assert "ROLLOVER DUE" not in fine.output

    # A margin of six years: root (within 24), issuing CA (within 12) and TSA are due.
    wide = ["--margin-days", str(6 * 365)]
    due = runner.invoke(main, ["pki", "status", *wide])
    assert due.exit_code == 3, due.output
    assert due.output.count("ROLLOVER DUE") == 3
    dry = runner.invoke(main, ["pki", "roll-over", "--dry-run", *wide])
    assert dry.output.strip() == "due: root, issuing_ca, tsa"
    assert signing.pki.load_pki(settings.pki_dir, settings.pki_passphrase).root_certificate == root
    done = runner.invoke(main, ["pki", "roll-over", *wide])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "rolled over: root, issuing_ca, tsa"
    after = runner.invoke(main, ["pki", "status"])
    assert after.exit_code == 0, after.output
    assert "retired: 1 roots, 1 issuing CAs" in after.output

    # A planned early root rollover, nothing due.
    early = runner.invoke(main, ["pki", "roll-over", "--root"])
    assert early.output.strip() == "rolled over: root, issuing_ca"
    assert "retired: 2 roots" in runner.invoke(main, ["pki", "status"]).output


def test_a_key_that_does_not_belong_to_its_certificate_is_refused(tmp_path: Path) -> None:
    """A rollover interrupted between writing the new key and the new certificate leaves a
    pair that does not match: no CRL or certificate is signed with it, the error says why."""
    pki = init_pki(tmp_path / "pki", public_base_url="https://ca.example", passphrase="x" * 12)
    stray = signing.pki.generate_private_key(pki.key_algorithm)
    (pki.directory / "issuing.key.pem").write_bytes(
        signing.pki.encrypt_private_key(stray, b"x" * 12)
    )
    again = signing.pki.Pki(pki.directory, b"x" * 12)
    with pytest.raises(signing.PkiError, match="does not belong to its certificate"):
        again.rotate_tsa()
