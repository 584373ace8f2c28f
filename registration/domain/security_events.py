"""What the authority records about sign-ins, sessions and refused signatures.

Security events are aggregated per (kind, subject, address, minute): a flood of failures grows a
counter, not the table.
"""

from __future__ import annotations

from enum import StrEnum


class SecurityEventKind(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKED_OUT = "locked_out"
    SIGN_OUT = "sign_out"
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 (an event name, not a secret)
    SIGNATURE_REFUSED = "signature_refused"
    ATTESTATION_REFUSED = "attestation_refused"
    # Public endpoints' rate limits count in the same per-minute buckets (by address).
    REGISTER_SEARCH = "register_search"
    VERIFY_UPLOAD = "verify_upload"
    OBJECTION_LODGED = "objection_lodged"
    TRACKING_FAILED = "tracking_failed"  # a wrong tracking code or unknown reference
