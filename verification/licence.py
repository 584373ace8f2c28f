"""`LicenceVerifier` / `verify_licence`: a licence PDF in, a `VerificationReport` out.

Composes `signing.verification` (is the signature sound, and what does it cover?) with
`templates` (the licence data embedded as licence.json) and, online, the registry (is this the
file we issued, and is the licence still in force?). Imports neither `registration` nor any web
or database framework: the registry is a callback.

Why the licence data comes from the signed revision: a reader of the newest revision (any PDF
viewer, `templates.read_licence_data`) would show data replaced by an incremental update; the
verifier reports only what the signature covers, and refuses the file anyway if such an update
exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from signing.verification import (
    MAX_DOCUMENT_BYTES,
    CrlSource,
    Indication,
    PdfSignatureVerifier,
    SignatureVerification,
    SubIndication,
)
from templates import (
    ATTACHMENT_NAME,
    NOTICE_ATTACHMENT_NAME,
    NOTICE_FORMAT,
    NOTICE_KINDS,
    InvalidLicenceContent,
    content_from_data,
)
from verification.report import (
    LicenceData,
    LicenceStatus,
    NoticeData,
    NoticeRecord,
    RegistryCheck,
    RegistryRecord,
    Verdict,
    VerificationReport,
)

__all__ = ["LicenceVerifier", "NoticeRegistry", "Registry", "verify_licence"]

logger = logging.getLogger(__name__)

Registry: TypeAlias = Callable[[str, int], RegistryRecord | None]
NoticeRegistry: TypeAlias = Callable[[str], NoticeRecord | None]

_NOT_IN_FORCE: Final = {
    LicenceStatus.SUPERSEDED: "licence_superseded",
    LicenceStatus.REVOKED: "licence_revoked",
    LicenceStatus.DEREGISTERED: "licence_deregistered",
}


class LicenceVerifier:
    """Verifies licences against the authority's published root(s). Build once, reuse: it keeps
    the parsed trust anchors and the certificates and CRLs seen. Thread-safe.

    `crls`: current CRLs (or a callable returning them), for online verification; offline,
    the CRLs embedded in each licence (PAdES B-LT) are enough. `registry`: looks up
    (uscc, version) in the registry; None verifies offline. `clock`: "now" (tests: the future).
    """

    def __init__(
        self,
        trust_roots: Sequence[x509.Certificate],
        *,
        crls: CrlSource = (),
        registry: Registry | None = None,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        clock: Callable[[], dt.datetime] | None = None,
        notices: NoticeRegistry | None = None,
    ) -> None:
        self.signatures = PdfSignatureVerifier(
            trust_roots, crls=crls, max_bytes=max_bytes, clock=clock
        )
        self.registry = registry
        # A registry object may answer for notices too (`.notice(number)`).
        self.notices = notices or getattr(registry, "notice", None)

    @property
    def max_bytes(self) -> int:
        return self.signatures.max_bytes

    def verify(
        self,
        pdf: bytes,
        *,
        registry: Registry | None = None,
        notices: NoticeRegistry | None = None,
    ) -> VerificationReport:
        """Verify one licence (or notice). `registry` overrides the verifier's (e.g. one bound
        to the request's database session); `notices` looks notices up by number."""
        signature = self.signatures.verify(pdf)
        return assess(pdf, signature, registry if registry is not None else self.registry, notices)


def assess(
    pdf: bytes,
    signature: SignatureVerification,
    registry: Registry | None,
    notices: NoticeRegistry | None = None,
) -> VerificationReport:
    """The licence-level report for a signature verification of `pdf`; a notice's report if
    the signed data declares a notice."""
    if signature.attachment(NOTICE_ATTACHMENT_NAME) is not None:
        return _assess_notice(signature, registry is not None, notices)
    problems = [f.code for f in signature.findings]
    indication, sub_indication = signature.indication, signature.sub_indication
    reason = problems[0] if problems else "authentic"

    licence, data_problem = _licence_data(signature)
    if data_problem is not None and signature.passed:
        # We only ever sign licences: a signed document without licence data is not one.
        indication, sub_indication, reason = (
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            data_problem,
        )
        problems.insert(0, data_problem)

    check = _consult(registry, licence, pdf, signature) if registry is not None else None
    in_force: bool | None = None
    if check is not None and check.log_problem is not None:
        # The registry's row disagrees with its own transparency log: someone changed the
        # database behind the service. Neither its status nor its hash can be trusted, so the
        # document is neither confirmed nor condemned by it.
        if indication is Indication.TOTAL_PASSED:
            indication, sub_indication = Indication.INDETERMINATE, SubIndication.TRY_LATER
        reason = "registry_inconsistent"
        problems.insert(0, reason)
    elif indication is Indication.TOTAL_PASSED and check is not None and check.consulted:
        if not check.found:
            reason, in_force = "not_in_registry", False
        elif check.file_match == "different":
            # The registry holds the SHA-256 of what it issued; a document that differs is not
            # that document, whatever its signature says.
            indication, sub_indication, reason = (
                Indication.TOTAL_FAILED,
                SubIndication.HASH_FAILURE,
                "registry_hash_mismatch",
            )
            problems.insert(0, reason)
        elif check.status in _NOT_IN_FORCE:
            reason, in_force = _NOT_IN_FORCE[check.status], False
        else:
            reason, in_force = "in_force", True
        if reason in ("not_in_registry", *_NOT_IN_FORCE.values()):
            problems.append(reason)
    if indication is Indication.TOTAL_FAILED:
        in_force = False

    if indication is Indication.TOTAL_FAILED:
        verdict = Verdict.INVALID
    elif indication is Indication.INDETERMINATE:
        verdict = Verdict.INDETERMINATE
    elif in_force is True:
        verdict = Verdict.IN_FORCE
    elif in_force is False:
        verdict = Verdict.NOT_IN_FORCE
    else:
        verdict = Verdict.AUTHENTIC
    return VerificationReport(
        indication=indication,
        sub_indication=sub_indication,
        verdict=verdict,
        reason=reason,
        in_force=in_force,
        signature=signature,
        licence=licence,
        registry=check,
        problems=tuple(dict.fromkeys(problems)),
    )


def _assess_notice(
    signature: SignatureVerification, online: bool, notices: NoticeRegistry | None
) -> VerificationReport:
    """A notice: authentic or not, and what it states — never a licence, never in force.

    A file carrying both notice.json and licence.json is refused: its kind would be a
    matter of which attachment a reader looks at."""
    problems = [f.code for f in signature.findings]
    indication, sub_indication = signature.indication, signature.sub_indication
    reason = problems[0] if problems else "notice_authentic"
    notice, data_problem = _notice_data(signature)
    if data_problem is None and signature.attachment(ATTACHMENT_NAME) is not None:
        notice, data_problem = None, "ambiguous_document"
    if data_problem is not None and signature.passed:
        indication, sub_indication, reason = (
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            data_problem,
        )
        problems.insert(0, data_problem)
    check: RegistryCheck | None = None
    if indication is Indication.TOTAL_PASSED and notice is not None and online and notices:
        try:
            record = notices(notice.number)
        except Exception:
            logger.exception("registry lookup failed for notice %s", notice.number)
            record = None
            problems.append("registry_unavailable")
            check = RegistryCheck(consulted=False, found=False, error="registry_unavailable")
        else:
            known = () if record is None else (record.sha256, *record.earlier_sha256)
            same = record is not None and signature.document_sha256 == record.sha256.lower()
            earlier = not same and signature.document_sha256 in {k.lower() for k in known}
            check = RegistryCheck(
                consulted=True,
                found=record is not None,
                issued_sha256=record.sha256 if record else None,
                file_match=None
                if record is None
                else ("identical" if same else "earlier_archive_form" if earlier else "different"),
            )
            if record is None:
                indication, sub_indication = Indication.INDETERMINATE, SubIndication.TRY_LATER
                reason = "not_in_registry"
                problems.insert(0, reason)
            elif not (same or earlier) or record.kind != notice.kind:
                indication, sub_indication = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
                reason = "registry_hash_mismatch"
                problems.insert(0, reason)
    verdict = {
        Indication.TOTAL_PASSED: Verdict.AUTHENTIC,
        Indication.TOTAL_FAILED: Verdict.INVALID,
    }.get(indication, Verdict.INDETERMINATE)
    return VerificationReport(
        indication=indication,
        sub_indication=sub_indication,
        verdict=verdict,
        reason=reason,
        in_force=False if indication is Indication.TOTAL_FAILED else None,
        signature=signature,
        registry=check,
        problems=tuple(dict.fromkeys(problems)),
        kind="notice",
        notice=notice,
    )


def _notice_data(signature: SignatureVerification) -> tuple[NoticeData | None, str | None]:
    raw = signature.attachment(NOTICE_ATTACHMENT_NAME)
    try:
        data = json.loads((raw or b"").decode("utf-8"))
        kind, number = data["kind"], data["number"]
        if (
            data.get("format") != NOTICE_FORMAT
            or kind not in NOTICE_KINDS
            or not isinstance(number, str)
            or not 0 < len(number) <= 32
        ):
            raise ValueError("not a bizreg-notice/1 document")
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, RecursionError):
        return None, "notice_data_invalid"
    return NoticeData(kind=kind, number=number, data=data, verified=signature.passed), None


def _licence_data(signature: SignatureVerification) -> tuple[LicenceData | None, str | None]:
    raw = signature.attachment(ATTACHMENT_NAME)
    if raw is None:
        return None, "licence_data_invalid"
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise TypeError("licence.json is not an object")
        content = content_from_data(data)  # the licence.schema.json rules, GB 32100 check
    except (UnicodeDecodeError, ValueError, TypeError, InvalidLicenceContent, RecursionError):
        return None, "licence_data_invalid"
    licence = LicenceData(
        uscc=content.uscc, version=content.version, data=data, verified=signature.passed
    )
    return licence, None


def _consult(
    registry: Registry, licence: LicenceData | None, pdf: bytes, signature: SignatureVerification
) -> RegistryCheck:
    if licence is None:
        return RegistryCheck(consulted=False, found=False, error="no_licence_data")
    try:
        record = registry(licence.uscc, licence.version)
    except Exception:  # the registry is down: report authenticity, status unknown
        logger.exception("registry lookup failed for %s v%s", licence.uscc, licence.version)
        return RegistryCheck(consulted=False, found=False, error="registry_unavailable")
    if record is None:
        return RegistryCheck(consulted=True, found=False)
    return RegistryCheck(
        consulted=True,
        found=True,
        status=LicenceStatus(record.status),
        status_reason=record.status_reason,
        status_changed_at=record.status_changed_at,
        issued_at=record.issued_at,
        latest_version=record.latest_version,
        issued_sha256=record.sha256,
        file_match=_file_match(pdf, record, signature),
        log_problem=record.log_problem,
    )


def _file_match(pdf: bytes, record: RegistryRecord, signature: SignatureVerification) -> str:
    if signature.document_sha256 == record.sha256.lower():
        return "identical"
    if any(signature.document_sha256 == sha.lower() for sha, _ in record.earlier_forms):
        return "earlier_archive_form"
    coverage = signature.coverage
    # An archive may renew a B-LTA licence by appending a DSS and a document timestamp: a
    # recorded file is then a prefix, and everything after it must be validation data.
    forms = ((record.sha256, record.size), *record.earlier_forms)
    if (
        coverage is not None
        and coverage.modification_level == "validation_data"
        and not coverage.data_after_eof
        and signature.passed
        and any(
            0 < size < len(pdf) and hashlib.sha256(pdf[:size]).hexdigest() == sha.lower()
            for sha, size in forms
        )
    ):
        return "issued_plus_validation_data"
    return "different"


_shared: dict[tuple[Any, ...], PdfSignatureVerifier] = {}
_shared_lock = threading.Lock()


def verify_licence(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[bytes] | None = None,
    registry: Registry | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> VerificationReport:
    """Verify one licence PDF (see `LicenceVerifier`). Offline by default: `crls=None` uses
    only the revocation data the licence embeds, and nothing is ever fetched from the network.
    Verifiers are kept per trust-root set, so repeated calls share parsed certificates."""
    key = (tuple(sorted(root.fingerprint(hashes.SHA256()) for root in trust_roots)), max_bytes)
    with _shared_lock:
        verifier = _shared.get(key)
        if verifier is None:
            verifier = _shared[key] = PdfSignatureVerifier(trust_roots, max_bytes=max_bytes)
    signature = verifier.verify(pdf, crls=tuple(crls or ()))
    return assess(pdf, signature, registry)
