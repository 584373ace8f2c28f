"""Who signed, and can that signer still be trusted: foreign CAs, revocations, missing
timestamps, expired timestamp authorities. Each test that revokes has an authority of its own."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing import LicenceSigner, Pki, RevocationReason, init_pki
from signing.cms_signer import asn1_certificate
from signing.tsa import InProcessTimeStamper, TimestampAuthority
from signing.verification import Indication, SubIndication
from templates import render_licence
from templates.specimens import SPECIMENS
from tests.verification.conftest import Genuine
from verification import LicenceVerifier, verify_licence

CONTENT = SPECIMENS["yinzhengtong"]


def _soon() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)


@dataclass
class Hierarchy:
    """A PKI of the test's own (so it can be revoked) and a licence it signed, B-LT."""

    pki: Pki
    pdf: bytes

    @property
    def roots(self) -> list[x509.Certificate]:
        return [self.pki.root_certificate]

    def revoke(self, serial: int, reason: RevocationReason, at: dt.datetime) -> None:
        self.pki.revoke_certificate(serial, reason, revoked_at=at)


@pytest.fixture
def hierarchy(genuine: Genuine, tmp_path: Path) -> Callable[..., Hierarchy]:
    def make(organization: str = "Dongguan Market Regulation") -> Hierarchy:
        pki = init_pki(
            tmp_path / organization.replace(" ", "-"),
            public_base_url="https://ca.example",
            passphrase="test passphrase",
            organization=organization,
        )
        return Hierarchy(pki, LicenceSigner.for_pki(pki).sign(genuine.unsigned))

    return make


def test_licence_of_another_ca_is_not_trusted(
    verifier: LicenceVerifier, hierarchy: Callable[..., Hierarchy]
) -> None:
    elsewhere = hierarchy("Elsewhere Trust Services")
    report = verifier.verify(elsewhere.pdf)
    assert (report.indication, report.sub_indication, report.reason) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        "signer_no_certificate_chain_found",
    )
    assert report.verdict.value == "indeterminate"
    # ... and its own root would trust it: the verdict is about trust, not a broken file.
    assert verify_licence(elsewhere.pdf, trust_roots=elsewhere.roots).signature.passed


def test_impostor_ca_with_the_authoritys_names_is_not_trusted(
    verifier: LicenceVerifier, hierarchy: Callable[..., Hierarchy]
) -> None:
    """A hierarchy that copies our CA names: the path builder finds our root by name, and the
    signatures on the chain give it away."""
    report = verifier.verify(hierarchy().pdf)
    assert (report.indication, report.sub_indication, report.reason) == (
        Indication.INDETERMINATE,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        "signer_certificate_chain_general_failure",
    )


def test_signer_revoked_for_key_compromise_after_signing(
    hierarchy: Callable[..., Hierarchy],
) -> None:
    h = hierarchy()
    # Recorded a little after signing: CRL dates have one-second precision.
    h.revoke(h.pki.signer_certificate.serial_number, RevocationReason.KEY_COMPROMISE, _soon())

    # Offline, the CRLs embedded at signing time cannot know.
    offline = verify_licence(h.pdf, trust_roots=h.roots)
    assert offline.signature.passed
    assert offline.signature.revocation is not None
    assert offline.signature.revocation.status == "good"

    # With the current CRLs: the timestamp predates the revocation, but not necessarily the
    # compromise (no invalidityDate), so the signature cannot be confirmed.
    online = verify_licence(h.pdf, trust_roots=h.roots, crls=h.pki.crls_der())
    assert (online.indication, online.sub_indication, online.reason) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_NO_POE,
        "signer_revoked",
    )
    revocation = online.signature.revocation
    assert revocation is not None
    assert (revocation.status, revocation.source, revocation.reason) == (
        "revoked",
        "current",
        "key_compromise",
    )
    assert revocation.after_signing is True


def test_signer_revoked_before_signing_fails(hierarchy: Callable[..., Hierarchy]) -> None:
    """The signer claims (/M) to have signed after the revocation date: EN 319 102-1 REVOKED."""
    h = hierarchy()
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    h.revoke(h.pki.signer_certificate.serial_number, RevocationReason.KEY_COMPROMISE, an_hour_ago)
    report = verify_licence(h.pdf, trust_roots=h.roots, crls=h.pki.crls_der())
    assert (report.indication, report.sub_indication, report.reason) == (
        Indication.TOTAL_FAILED,
        SubIndication.REVOKED,
        "signer_revoked",
    )


def test_signer_retired_after_signing_stays_valid(hierarchy: Callable[..., Hierarchy]) -> None:
    """A certificate revoked as superseded (key rotation) says nothing against the key: the
    timestamp proves the signature was made before (EN 319 102-1 §5.6.2.1)."""
    h = hierarchy()
    h.revoke(h.pki.signer_certificate.serial_number, RevocationReason.SUPERSEDED, _soon())
    report = verify_licence(h.pdf, trust_roots=h.roots, crls=h.pki.crls_der())
    assert report.signature.passed, report.problems
    revocation = report.signature.revocation
    assert revocation is not None
    assert (revocation.status, revocation.reason, revocation.after_signing) == (
        "revoked",
        "superseded",
        True,
    )


def test_issuing_ca_revoked(hierarchy: Callable[..., Hierarchy]) -> None:
    h = hierarchy()
    h.revoke(h.pki.issuing_certificate.serial_number, RevocationReason.CA_COMPROMISE, _soon())
    report = verify_licence(h.pdf, trust_roots=h.roots, crls=h.pki.crls_der())
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_CA_NO_POE,
    )


def test_signature_without_timestamp_is_not_enough(
    genuine: Genuine, verifier: LicenceVerifier
) -> None:
    pki = genuine.authority.pki
    baseline_b = LicenceSigner.for_pki(pki, level="B-B").sign(
        render_licence(CONTENT, public_base_url=genuine.authority.settings.base_url)
    )
    report = verifier.verify(baseline_b)
    assert (report.indication, report.sub_indication, report.reason) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        "no_signature_timestamp",
    )
    assert report.signature.level == "B-B"


def test_timestamp_authority_expired_without_archive_timestamp(genuine: Genuine) -> None:
    """B-LT verifies offline for as long as the TSA certificate is valid; B-LTA is what keeps
    a licence verifiable after that (once an archive renews it with a fresh TSA)."""
    tsa_expiry = genuine.authority.pki.tsa_certificate.not_valid_after_utc
    later = LicenceVerifier([genuine.root], clock=lambda: tsa_expiry + dt.timedelta(days=1))
    report = later.verify(genuine.blt)
    assert (report.indication, report.sub_indication, report.reason) == (
        Indication.INDETERMINATE,
        SubIndication.OUT_OF_BOUNDS_NO_POE,
        "timestamp_certificate_expired",
    )


def test_years_later_the_embedded_crls_still_suffice(genuine: Genuine) -> None:
    """Validation happens at the time the timestamp proves, with the CRLs valid then: the
    embedded CRLs lapse within a week, yet a B-LT licence still verifies offline a year on."""
    a_year_on = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    later = LicenceVerifier([genuine.root], clock=lambda: a_year_on)
    assert later.verify(genuine.blt).passed


def test_certificate_without_document_signing_usage(genuine: Genuine) -> None:
    """A certificate of the same hierarchy that may not sign documents (the TSA's: only
    timeStamping, no nonRepudiation) cannot make a licence. LicenceSigner refuses to sign with
    it, so pyHanko signs directly."""
    pki = genuine.authority.pki
    key = keys.PrivateKeyInfo.load(
        pki.tsa_key().private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_certificate(pki.tsa_certificate),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in pki.chain]),
    )
    timestamper = InProcessTimeStamper(
        TimestampAuthority(pki.tsa_certificate, pki.tsa_key(), pki.chain)
    )
    metadata = signers.PdfSignatureMetadata(
        field_name="AuthoritySeal", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    out = io.BytesIO()
    signers.PdfSigner(metadata, signer, timestamper=timestamper).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(genuine.unsigned)), output=out
    )
    # With current CRLs (this B-T file embeds none), so that only the key usage is wrong.
    report = verify_licence(out.getvalue(), trust_roots=[pki.root_certificate], crls=pki.crls_der())
    assert (report.indication, report.sub_indication, report.reason) == (
        Indication.INDETERMINATE,
        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
        "signer_chain_constraints_failure",
    )


@pytest.mark.parametrize(
    ("compromised", "expected"),
    [
        # The key was good when the timestamp was made: the signature stands.
        (dt.timedelta(seconds=1), (Indication.TOTAL_PASSED, None, "authentic")),
        # The key was already compromised when the timestamp was made: a forger could have.
        (
            -dt.timedelta(minutes=10),
            (Indication.TOTAL_FAILED, SubIndication.REVOKED, "signer_key_compromised"),
        ),
    ],
)
def test_key_compromise_is_judged_by_its_invalidity_date(
    hierarchy: Callable[..., Hierarchy],
    compromised: dt.timedelta,
    expected: tuple[Indication, SubIndication | None, str],
) -> None:
    h = hierarchy()
    now = dt.datetime.now(dt.UTC)
    h.pki.revoke_certificate(
        h.pki.signer_certificate.serial_number,
        RevocationReason.KEY_COMPROMISE,
        revoked_at=now + dt.timedelta(seconds=2),
        invalidity_date=now + compromised,
    )
    crl = x509.load_der_x509_crl(h.pki.crls_der()[0])
    entry = crl.get_revoked_certificate_by_serial_number(h.pki.signer_certificate.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.InvalidityDate) is not None
    report = verify_licence(h.pdf, trust_roots=h.roots, crls=h.pki.crls_der())
    assert (report.indication, report.sub_indication, report.reason) == expected
