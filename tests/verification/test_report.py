"""The licence-level report: registry status, the issuance hash, and the JSON everyone reads."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

from signing.tsa import InProcessTimeStamper, TimestampAuthority
from signing.verification import Indication, SubIndication
from tests.verification.conftest import Genuine
from verification import (
    LicenceStatus,
    LicenceVerifier,
    RegistryRecord,
    Verdict,
    explain,
    verdict_title,
)

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def registry_of(
    pdf: bytes, status: LicenceStatus = LicenceStatus.ACTIVE, *, latest: int = 2
) -> Callable[[str, int], RegistryRecord | None]:
    """A registry that issued exactly `pdf` as licence 91441900MA5HUP2D2X version 2."""

    def lookup(uscc: str, version: int) -> RegistryRecord | None:
        if (uscc, version) != ("91441900MA5HUP2D2X", 2):
            return None
        return RegistryRecord(
            uscc=uscc,
            version=version,
            status=status,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            issued_at=NOW,
            status_reason=None if status is LicenceStatus.ACTIVE else f"{status} for a test",
            status_changed_at=None if status is LicenceStatus.ACTIVE else NOW,
            latest_version=latest,
        )

    return lookup


def test_genuine_and_active_is_in_force(genuine: Genuine, verifier: LicenceVerifier) -> None:
    report = verifier.verify(genuine.blt, registry=registry_of(genuine.blt))
    assert report.indication is Indication.TOTAL_PASSED
    assert (report.verdict, report.reason, report.in_force) == (Verdict.IN_FORCE, "in_force", True)
    assert report.registry is not None
    assert report.registry.file_match == "identical"
    assert report.passed


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (LicenceStatus.REVOKED, "licence_revoked"),
        (LicenceStatus.SUPERSEDED, "licence_superseded"),
        (LicenceStatus.DEREGISTERED, "licence_deregistered"),
    ],
)
def test_sound_signature_but_not_in_force(
    genuine: Genuine, verifier: LicenceVerifier, status: LicenceStatus, reason: str
) -> None:
    """Both facts at once, and unmistakable: the signature passes, the licence is not in force."""
    report = verifier.verify(genuine.blt, registry=registry_of(genuine.blt, status))
    assert report.signature.indication is Indication.TOTAL_PASSED
    assert report.indication is Indication.TOTAL_PASSED
    assert (report.verdict, report.reason, report.in_force) == (
        Verdict.NOT_IN_FORCE,
        reason,
        False,
    )
    assert not report.passed
    body = report.to_json()
    assert body["in_force"] is False
    assert body["signature"]["indication"] == "TOTAL_PASSED"
    assert body["registry"]["status"] == status.value
    assert body["registry"]["status_reason"] == f"{status} for a test"
    assert reason in body["problems"]


def test_unknown_to_the_registry(genuine: Genuine, verifier: LicenceVerifier) -> None:
    report = verifier.verify(genuine.blt, registry=lambda uscc, version: None)
    assert (report.verdict, report.reason, report.in_force) == (
        Verdict.NOT_IN_FORCE,
        "not_in_registry",
        False,
    )


def test_a_different_file_than_issued_fails_on_the_hash(
    genuine: Genuine, verifier: LicenceVerifier
) -> None:
    """Same licence, validly signed, but not the bytes the registry issued (here: the B-LTA
    twin): only the issuance hash can tell."""
    report = verifier.verify(genuine.blta, registry=registry_of(genuine.blt))
    assert report.signature.passed
    assert (report.indication, report.sub_indication, report.reason) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
        "registry_hash_mismatch",
    )
    assert report.registry is not None
    assert report.registry.matches_issued_file is False


def test_archive_renewal_still_matches_the_issued_file(
    genuine: Genuine, verifier: LicenceVerifier
) -> None:
    """An archive that adds a document timestamp to a B-LTA licence keeps the issued bytes as a
    prefix, followed by validation data only."""
    pki = genuine.authority.pki
    timestamper = InProcessTimeStamper(
        TimestampAuthority(pki.tsa_certificate, pki.tsa_key(), pki.chain)
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(genuine.blta))
    out = io.BytesIO()
    PdfTimeStamper(timestamper, field_name="RenewalTimestamp").timestamp_pdf(
        writer, "sha256", output=out
    )
    renewed = out.getvalue()
    report = verifier.verify(renewed, registry=registry_of(genuine.blta))
    assert report.verdict is Verdict.IN_FORCE, report.problems
    assert report.registry is not None
    assert report.registry.file_match == "issued_plus_validation_data"
    assert len(report.signature.document_timestamps) == 2


def test_registry_down_still_reports_authenticity(
    genuine: Genuine, verifier: LicenceVerifier
) -> None:
    def broken(uscc: str, version: int) -> RegistryRecord | None:
        raise ConnectionError("database unreachable")

    report = verifier.verify(genuine.blt, registry=broken)
    assert (report.verdict, report.in_force) == (Verdict.AUTHENTIC, None)
    assert report.registry is not None
    assert report.registry.error == "registry_unavailable"


def test_altered_file_reports_what_it_claims_without_vouching(
    genuine: Genuine, verifier: LicenceVerifier
) -> None:
    forged = genuine.blt + b"%% appended\n"
    report = verifier.verify(forged, registry=registry_of(genuine.blt))
    assert report.verdict is Verdict.INVALID
    assert report.licence is not None
    assert not report.licence.verified
    assert report.registry is not None
    assert report.registry.status is LicenceStatus.ACTIVE  # the genuine one is
    assert report.registry.file_match == "different"


def test_report_json_is_complete_and_serialisable(
    genuine: Genuine, verifier: LicenceVerifier
) -> None:
    body = verifier.verify(genuine.blta, registry=registry_of(genuine.blta)).to_json()
    text = json.dumps(body)  # only JSON types
    assert "attachments" not in text
    assert set(body) == {
        "passed",
        "summary",
        "indication",
        "sub_indication",
        "verdict",
        "reason",
        "in_force",
        "problems",
        "checked_at",
        "document",
        "signature",
        "kind",
        "licence",
        "notice",
        "registry",
    }
    assert body["kind"] == "licence"
    assert body["notice"] is None
    signature = body["signature"]
    for key in ("intact", "coverage", "signer", "chain", "timestamp", "revocation", "level"):
        assert signature[key] not in (None, []), key
    assert signature["coverage"]["document_timestamps"] == 1
    assert body["registry"]["matches_issued_file"] is True
    assert body["licence"]["data"]["uscc"] == "91441900MA5HUP2D2X"
    assert body["document"]["sha256"] == hashlib.sha256(genuine.blta).hexdigest()


def test_every_reason_has_words_in_both_languages(genuine: Genuine) -> None:
    from tests.verification.test_attacks import EXPECTED

    codes = {code for _, code in EXPECTED.values()} | {
        "in_force",
        "authentic",
        "licence_revoked",
        "licence_superseded",
        "licence_deregistered",
        "not_in_registry",
        "registry_hash_mismatch",
        "licence_data_invalid",
        "no_signature",
        "signer_revoked",
        "signer_no_certificate_chain_found",
        "signer_certificate_chain_general_failure",
        "no_signature_timestamp",
        "timestamp_certificate_expired",
        "signature_not_canonical",
        "signature_container_altered",
        "too_deeply_nested",
        "not_a_pdf",
        "too_large",
    }
    generic = {explain("no-such-code", "en"), explain("no-such-code", "zh")}
    for code in codes:
        english, chinese = explain(code, "en"), explain(code, "zh")
        assert english not in generic, code
        assert chinese not in generic, code
        assert english != chinese
    for verdict in Verdict:
        assert verdict_title(verdict.value, "zh") != verdict_title(verdict.value, "en")
