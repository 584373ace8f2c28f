"""The verification report: one structure for the HTTP API, the web page and the CLI.

    VerificationReport
    ├── indication / sub_indication   ETSI EN 319 102-1 verdict on the document as issued
    ├── verdict, reason, in_force     what a relying party acts on
    ├── signature                     signing.verification.SignatureVerification (the details)
    ├── licence                       the data from the signed revision's licence.json
    └── registry                      the registry's record (online only)

`indication` is the signature's verdict, with two refinements that only this layer can make:
a signed document without readable licence data is TOTAL_FAILED/FORMAT_FAILURE (we only sign
licences), and a file whose SHA-256 differs from the one the registry recorded at issuance is
TOTAL_FAILED/HASH_FAILURE (it is not the document issued). Whether the licence is in force is
a separate matter: a revoked licence keeps TOTAL_PASSED (its signature is sound) and gets
`in_force: false`, `verdict: not_in_force`.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from signing.verification import (
    Indication,
    SignatureVerification,
    SubIndication,
    json_ready,
)
from verification.messages import explain

__all__ = [
    "LicenceData",
    "LicenceStatus",
    "NoticeData",
    "NoticeRecord",
    "RegistryCheck",
    "RegistryRecord",
    "Verdict",
    "VerificationReport",
]


class LicenceStatus(enum.StrEnum):
    """DESIGN.md §3: a licence's lifecycle in the registry.

    Defined here, not in the registry, because relying parties read it in reports and this
    library must not import the application; the registry's transition table and guard
    (registration.domain.licence_lifecycle) use these members."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"
    DEREGISTERED = "deregistered"


class Verdict(enum.StrEnum):
    """The one word a relying party acts on."""

    IN_FORCE = "in_force"  # authentic, the file the registry issued, and active
    AUTHENTIC = "authentic"  # authentic; registry not consulted (offline) or unreachable
    NOT_IN_FORCE = "not_in_force"  # authentic, but superseded, revoked, deregistered, unknown
    INVALID = "invalid"  # TOTAL_FAILED: altered, forged, not a licence
    INDETERMINATE = "indeterminate"  # cannot be confirmed (e.g. revoked signer, no chain)


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """What the registry holds about one licence version (the callback's answer)."""

    uscc: str
    version: int
    status: LicenceStatus
    sha256: str
    size: int
    issued_at: dt.datetime
    status_reason: str | None = None
    status_changed_at: dt.datetime | None = None
    latest_version: int | None = None
    company_name_zh: str | None = None
    # Why this record disagrees with the registry's transparency log (None: it agrees).
    log_problem: str | None = None
    # (sha256, size) of the earlier forms of this licence's file, oldest first: archive
    # renewals (B-LTA) replace the stored file but the earlier ones remain the same licence.
    earlier_forms: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class RegistryCheck:
    """The registry's view of the licence the document claims to be.

    `file_match`: identical (the registry's current file), earlier_archive_form (a file the
    registry stored before an archive renewal replaced it: the same licence, older
    timestamps), issued_plus_validation_data (a recorded file followed only by validation-data
    updates, e.g. someone else's renewed timestamp), different, or None when there is no
    record.
    """

    consulted: bool
    found: bool
    status: LicenceStatus | None = None
    status_reason: str | None = None
    status_changed_at: dt.datetime | None = None
    issued_at: dt.datetime | None = None
    latest_version: int | None = None
    issued_sha256: str | None = None
    file_match: str | None = None
    error: str | None = None
    log_problem: str | None = None

    @property
    def matches_issued_file(self) -> bool | None:
        if self.file_match is None:
            return None
        return self.file_match != "different"


@dataclass(frozen=True, slots=True)
class LicenceData:
    """The licence's machine-readable data (licence.json), read from the signed revision.

    `verified`: the signature vouches for it (TOTAL_PASSED). Unverified data is what the file
    claims, shown only so a reader can find the genuine record.
    """

    uscc: str
    version: int
    data: dict[str, Any]
    verified: bool


@dataclass(frozen=True, slots=True)
class NoticeData:
    """A notice's machine-readable data (notice.json, `bizreg-notice/1`) from the signed
    revision: what kind of notice, its number, and what it states."""

    kind: str  # acceptance | return | rejection | approval
    number: str
    data: dict[str, Any]
    verified: bool


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """What the registry holds about one notice (the notice callback's answer)."""

    number: str
    kind: str
    sha256: str
    application_status: str
    earlier_sha256: tuple[str, ...] = ()  # before archive renewals, oldest first


@dataclass(frozen=True, slots=True)
class VerificationReport:
    indication: Indication
    sub_indication: SubIndication | None
    verdict: Verdict
    reason: str  # stable code: "in_force", "authentic", a finding code, "licence_revoked"...
    in_force: bool | None  # None: not known (offline, or the signature cannot be confirmed)
    signature: SignatureVerification
    licence: LicenceData | None = None
    registry: RegistryCheck | None = None
    problems: tuple[str, ...] = field(default=())  # codes of everything found, decisive first
    # What the signed data declares the document to be: a licence, or one of the authority's
    # notices (which is never in force as a licence: `in_force` stays None).
    kind: str = "licence"
    notice: NoticeData | None = None

    @property
    def passed(self) -> bool:
        """What `bizreg verify` exits 0 for: authentic, and not known to be out of force."""
        return self.indication is Indication.TOTAL_PASSED and self.in_force is not False

    def summary(self, language: str = "en") -> dict[str, str | None]:
        """Two sentences that cannot contradict each other: what this file is, then what the
        registry records for the licence it claims to be (which, for an altered file, is a
        statement about the genuine licence, not about this file)."""
        registry = None
        if self.notice is not None:
            return {"file": explain(self.reason, language), "registry": None}
        if self.registry is not None and self.registry.found and self.registry.status:
            uscc = self.licence.uscc if self.licence is not None else "?"
            registry = (
                f"The registry's licence {uscc} (latest version {self.registry.latest_version}) "
                f"is {self.registry.status.value}"
                + (
                    "; this file is not a copy of it."
                    if self.registry.matches_issued_file is False
                    else "."
                )
            )
        return {"file": explain(self.reason, language), "registry": registry}

    @property
    def checked_at(self) -> dt.datetime:
        return self.signature.checked_at

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-compatible data (the API's response body)."""
        data: dict[str, Any] = {
            # The one field to act on: authentic, and not known to be out of force (what
            # `bizreg verify` exits 0 for).
            "passed": self.passed,
            "summary": self.summary(),
            "indication": self.indication.value,
            "sub_indication": self.sub_indication.value if self.sub_indication else None,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "in_force": self.in_force,
            "problems": list(self.problems),
            "checked_at": self.checked_at.isoformat(),
            "document": {
                "sha256": self.signature.document_sha256,
                "bytes": self.signature.document_bytes,
            },
            "signature": self.signature.to_json(),
            "kind": self.kind,
            "licence": json_ready(self.licence),
            "notice": json_ready(self.notice),
            "registry": None,
        }
        for key in ("document_sha256", "document_bytes", "checked_at"):
            del data["signature"][key]
        if self.registry is not None:
            registry = json_ready(self.registry)
            registry["matches_issued_file"] = self.registry.matches_issued_file
            data["registry"] = registry
        return data
