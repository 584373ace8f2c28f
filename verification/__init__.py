"""verification: is this licence PDF genuine, unaltered, issued by the authority, in force?

    licence.py   LicenceVerifier, verify_licence: signature + licence data + registry → report
    report.py    VerificationReport, RegistryRecord, Verdict, LicenceStatus
    messages.py  the reason for a verdict in words (zh, en)
    batch.py     verify_files: many files on all cores, for the CLI

Sits between the libraries and the application: it may import `signing` (the PAdES verifier,
`signing.verification`) and `templates` (the licence data format), never `registration` nor a
web or database framework — the registry reaches it as a callback. `signing` cannot import
`templates`, which is why the licence-level composition lives here and not in signing.
"""

from signing.verification import Indication, SubIndication
from verification.licence import (
    LicenceVerifier,
    NoticeRegistry,
    Registry,
    assess,
    verify_licence,
)
from verification.messages import explain, verdict_title
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

__all__ = [
    "Indication",
    "LicenceData",
    "LicenceStatus",
    "LicenceVerifier",
    "NoticeData",
    "NoticeRecord",
    "NoticeRegistry",
    "Registry",
    "RegistryCheck",
    "RegistryRecord",
    "SubIndication",
    "Verdict",
    "VerificationReport",
    "assess",
    "explain",
    "verdict_title",
    "verify_licence",
]
