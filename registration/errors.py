"""The problem catalogue: one class per stable `code`, each with its HTTP status and title.

A raise site names the class, never a code string; `api.problems` renders any of them as an
RFC 9457 problem, and `problem_classes()` lists them all (the catalogue test checks that every
code has a message in every language). A class without its own title shows its family's.

    ServiceError                   500  internal_error
    ├── BadRequest                 400  bad_request
    │   ├── NotAPdf                     not_a_pdf
    │   ├── MalformedPdf                malformed_pdf
    │   ├── EncryptedPdf                encrypted_pdf
    │   ├── UnstorableCharacter         unstorable_character
    │   ├── ProofUnavailable            proof_unavailable    (no such leaf or tree size)
    │   └── CursorUnknown               cursor_unknown       (a feed cursor never issued)
    ├── NotAuthenticated           401  not_authenticated   (no or unusable credentials)
    │   ├── InvalidCredentials          invalid_credentials
    │   ├── InvalidToken                invalid_token
    │   ├── TokenExpired                token_expired
    │   ├── AccountDisabled             account_disabled
    │   ├── SessionExpired              session_expired      (the console's session)
    │   ├── ClientSuspended             client_suspended     ┐ the terminal protocol's
    │   ├── SignatureMissing            signature_missing    │ refusals: the codes are
    │   ├── SignatureInvalid            signature_invalid    │ bank_adapter's, the status
    │   │   └── ComponentNotCovered     component_not_covered│
    │   ├── DigestMismatch              digest_mismatch      │ is ours
    │   ├── StaleSignature              stale_signature      │
    │   ├── UnknownKey                  unknown_key          │
    │   └── ReplayedNonce               replayed_nonce       ┘
    ├── Forbidden                  403  forbidden           (authenticated, but not for you)
    │   ├── RoleNotPermitted            role_not_permitted   (= domain.workflow.RoleNotPermitted)
    │   ├── CategoryNotPermitted        category_not_permitted
    │   ├── SeparationOfDuties          separation_of_duties
    │   ├── CsrfRejected                csrf_rejected
    │   └── NotLegalRepresentative      not_legal_representative
    ├── NotFound                   404  not_found           (absent, or not visible to you)
    │   ├── ApplicationNotFound         application_not_found
    │   ├── LicenceNotFound             licence_not_found
    │   ├── ClientNotFound              client_not_found
    │   ├── KeyNotFound                 key_not_found
    │   ├── DocumentNotFound            document_not_found
    │   ├── OfficerNotFound             officer_not_found
    │   ├── NoCheckpoint                no_checkpoint        (the log has signed nothing yet)
    │   ├── DeregistrationNotFound      deregistration_not_found
    │   └── ObjectionNotFound           objection_not_found
    ├── MethodNotAllowed           405  method_not_allowed  (raised by the router only)
    ├── Conflict                   409  conflict            (the resource's state does not allow it)
    │   ├── ConcurrentModification      concurrent_modification
    │   ├── OfficerExists               officer_exists
    │   ├── ClientExists                client_exists
    │   ├── KeyidTaken                  keyid_taken
    │   ├── WebhookKeyCurrent           webhook_key_current  (retire: rotate first)
    │   ├── WebhookKeyInUse             webhook_key_in_use   (retire: pending webhooks it signed)
    │   ├── NotEditable                 not_editable
    │   ├── TooManyDocuments            too_many_documents
    │   ├── SubmissionChecksFailed      submission_checks_failed
    │   ├── NameUnavailable             name_unavailable
    │   ├── LicenceNotActive            licence_not_active
    │   ├── AmendmentBeingIssued        amendment_being_issued
    │   ├── AmendmentInProgress         amendment_in_progress
    │   ├── NoAttestationKey            no_attestation_key
    │   ├── AttestationReplayed         attestation_replayed (bank_adapter's code)
    │   ├── IdempotencyInProgress       idempotency_in_progress
    │   ├── IdempotencyResponseLost     idempotency_response_lost
    │   ├── IdempotencyClaimLost        idempotency_claim_lost
    │   ├── ApplicationClaimed          application_claimed
    │   ├── RevocationPending           revocation_pending
    │   ├── DeregistrationPending       deregistration_pending
    │   ├── DeregistrationClosed        deregistration_closed
    │   └── NoticePeriodRunning         notice_period_running
    ├── CursorExpired              410  cursor_expired      (older than the feed's retention)
    ├── PayloadTooLarge            413  payload_too_large
    ├── RateLimited                429  rate_limited        (Retry-After)
    ├── UnsupportedMediaType       415  unsupported_media_type
    ├── PayloadInvalid             422  validation_failed   (the body breaks a rule; fields listed)
    │   ├── InvalidRole                 invalid_role
    │   ├── WeakPassword                weak_password
    │   ├── NoCategory                  no_category
    │   ├── UnknownChannel              unknown_channel
    │   ├── InvalidClientId             invalid_client_id
    │   ├── InvalidPublicKey            invalid_public_key
    │   ├── InvalidCallbackUrl          invalid_callback_url
    │   ├── InvalidKeyid                invalid_keyid
    │   ├── UnknownKeyPurpose           unknown_key_purpose
    │   ├── NameRefused                 name_refused
    │   ├── IdempotencyKeyReused        idempotency_key_reused
    │   ├── PersonNotAttestable         person_not_attestable
    │   ├── AttestedPersonMismatch      attested_person_mismatch
    │   ├── SearchQueryInvalid          search_query_invalid
    │   └── AttestationMalformed …      attestation_malformed, attestation_kid_required,
    │                                   attestation_key_unknown, attestation_key_revoked,
    │                                   attestation_algorithm_refused,
    │                                   attestation_signature_invalid, attestation_issuer_mismatch,
    │                                   attestation_audience_mismatch, attestation_not_yet_valid,
    │                                   attestation_expired, attestation_lifetime_too_long,
    │                                   attestation_wrong_application, document_chip_not_read,
    │                                   liveness_check_failed, face_match_below_threshold,
    │                                   biometric_data_present
    │                                   (a class each, with bank_adapter's codes)
    ├── TooManyRequests            429  too_many_requests   (Retry-After)
    │   ├── SignInThrottled             sign_in_throttled
    │   └── SignInLocked                sign_in_locked
    └── ServiceUnavailable         503  overloaded          (answered at once; Retry-After)
        ├── DatabaseBusy                database_busy
        └── CrlUnavailable              crl_unavailable      (lapsed and cannot be re-issued)

The workflow guard's refusals live in the domain, which imports no web framework; they carry
the same `code`, `http_status` and `title` as plain class attributes and belong here too:

    domain.workflow.WorkflowError  409  workflow_error
    ├── TransitionNotAllowed       409  transition_not_allowed  (+ current_status, allowed_actions)
    ├── RoleNotPermitted           403  role_not_permitted
    └── ReasonsRequired            422  reasons_required
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self, TypeVar

import bank_adapter as bank
from registration.domain.application import FieldError
from registration.domain.workflow import RoleNotPermitted as WorkflowRoleNotPermitted
from registration.domain.workflow import WorkflowError


class ServiceError(Exception):
    http_status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.extra = extra or {}
        # Response header fields the error calls for, e.g. Retry-After (RFC 9110 §10.2.3).
        self.headers = headers or {}

    @classmethod
    def catalogued(cls, code: str) -> type[Self]:
        """The class of this family answering with `code`: for codes a library names, such as
        bank_adapter's refusals, which reach us as data."""
        for member in _descendants(cls):
            if member.code == code:
                return member
        raise LookupError(f"no {cls.__name__} answers with {code!r}")


_E = TypeVar("_E", bound=Exception)


def _descendants(cls: type[_E]) -> list[type[_E]]:
    found: list[type[_E]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_descendants(sub)]
    return found


def problem_classes() -> list[type[ServiceError] | type[WorkflowError]]:
    """Every class of the catalogue, both trees: what the API may answer with."""
    return [ServiceError, *_descendants(ServiceError), WorkflowError, *_descendants(WorkflowError)]


# --- 400 --------------------------------------------------------------------------------------


class BadRequest(ServiceError):
    http_status = 400
    code = "bad_request"
    title = "Bad request"


class ProofUnavailable(BadRequest):
    code = "proof_unavailable"


class NotAPdf(BadRequest):
    code = "not_a_pdf"


class MalformedPdf(BadRequest):
    code = "malformed_pdf"


class EncryptedPdf(BadRequest):
    code = "encrypted_pdf"


class UnstorableCharacter(BadRequest):
    """U+0000 or a lone surrogate anywhere in a request: refused at the edge (api.unstorable)."""

    code = "unstorable_character"


class CursorUnknown(BadRequest):
    code = "cursor_unknown"


# --- 401 --------------------------------------------------------------------------------------


class NotAuthenticated(ServiceError):
    http_status = 401
    code = "not_authenticated"
    title = "Authentication required"


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"


class InvalidToken(NotAuthenticated):
    code = "invalid_token"


class TokenExpired(NotAuthenticated):
    code = "token_expired"


class AccountDisabled(NotAuthenticated):
    code = "account_disabled"


class SessionExpired(NotAuthenticated):
    code = "session_expired"


class ClientSuspended(NotAuthenticated):
    code = bank.ClientSuspended.code


class SignatureMissing(NotAuthenticated):
    code = bank.SignatureMissing.code


class SignatureInvalid(NotAuthenticated):
    code = bank.SignatureInvalid.code


class ComponentNotCovered(SignatureInvalid):
    code = bank.ComponentNotCovered.code


class DigestMismatch(NotAuthenticated):
    code = bank.DigestMismatch.code


class StaleSignature(NotAuthenticated):
    code = bank.StaleSignature.code


class UnknownKey(NotAuthenticated):
    code = bank.UnknownKey.code


class ReplayedNonce(NotAuthenticated):
    code = bank.ReplayedNonce.code


# --- 403 --------------------------------------------------------------------------------------


class Forbidden(ServiceError):
    http_status = 403
    code = "forbidden"
    title = "Forbidden"


class RoleNotPermitted(Forbidden):
    """The workflow guard's refusal, raised by role checks outside the workflow table: one
    problem type, so one code and one title (RFC 9457 §3.1.3)."""

    code = WorkflowRoleNotPermitted.code
    title = WorkflowRoleNotPermitted.title


class CategoryNotPermitted(Forbidden):
    code = "category_not_permitted"


class SeparationOfDuties(Forbidden):
    code = "separation_of_duties"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"


class NotLegalRepresentative(Forbidden):
    code = "not_legal_representative"


# --- 404 --------------------------------------------------------------------------------------


class NotFound(ServiceError):
    http_status = 404
    code = "not_found"
    title = "Not found"


class ApplicationNotFound(NotFound):
    code = "application_not_found"


class LicenceNotFound(NotFound):
    code = "licence_not_found"


class TrackingNotFound(NotFound):
    """The same answer for an unknown reference and for a wrong code: a guess learns nothing."""

    code = "tracking_not_found"


class NoticeNotFound(NotFound):
    code = "notice_not_found"


class CaNotFound(NotFound):
    """No issuing CA of this hierarchy has that serial number, or it has expired."""

    code = "ca_not_found"


class NoCheckpoint(NotFound):
    code = "no_checkpoint"


class ClientNotFound(NotFound):
    code = "client_not_found"


class KeyNotFound(NotFound):
    code = "key_not_found"


class DocumentNotFound(NotFound):
    code = "document_not_found"


class OfficerNotFound(NotFound):
    code = "officer_not_found"


class DeregistrationNotFound(NotFound):
    code = "deregistration_not_found"


class ObjectionNotFound(NotFound):
    code = "objection_not_found"


# --- 405, 409 ---------------------------------------------------------------------------------


class MethodNotAllowed(ServiceError):
    http_status = 405
    code = "method_not_allowed"
    title = "Method not allowed"


class Conflict(ServiceError):
    http_status = 409
    code = "conflict"
    title = "Conflict"


class ConcurrentModification(Conflict):
    code = "concurrent_modification"
    title = "Changed concurrently"


class OfficerExists(Conflict):
    code = "officer_exists"


class ClientExists(Conflict):
    code = "client_exists"


class WebhookKeyCurrent(Conflict):
    code = "webhook_key_current"


class WebhookKeyInUse(Conflict):
    code = "webhook_key_in_use"


class KeyidTaken(Conflict):
    code = "keyid_taken"


class NotEditable(Conflict):
    code = "not_editable"


class ClientReferenceTaken(Conflict):
    """The client already has an application under this reference (`application_id` names
    it): the create is refused rather than duplicated."""

    code = "client_reference_taken"


class TooManyDocuments(Conflict):
    code = "too_many_documents"


class SubmissionChecksFailed(Conflict):
    code = "submission_checks_failed"


class NameUnavailable(Conflict):
    code = "name_unavailable"


class LicenceNotActive(Conflict):
    code = "licence_not_active"


class AmendmentBeingIssued(Conflict):
    code = "amendment_being_issued"


class AmendmentInProgress(Conflict):
    code = "amendment_in_progress"


class NoAttestationKey(Conflict):
    code = "no_attestation_key"


class AttestationReplayed(Conflict):
    code = bank.AttestationReplayed.code


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"


class IdempotencyResponseLost(Conflict):
    code = "idempotency_response_lost"


class IdempotencyClaimLost(Conflict):
    code = "idempotency_claim_lost"


class RevocationPending(Conflict):
    code = "revocation_pending"


class ApplicationClaimed(Conflict):
    """Another officer holds the application (the console's claim)."""

    code = "application_claimed"


class DeregistrationPending(Conflict):
    code = "deregistration_pending"


class DeregistrationClosed(Conflict):
    code = "deregistration_closed"


class NoticePeriodRunning(Conflict):
    code = "notice_period_running"


# --- 410 --------------------------------------------------------------------------------------


class CursorExpired(ServiceError):
    """A feed cursor whose next event is older than the retention (RFC 9110 §15.5.11)."""

    http_status = 410
    code = "cursor_expired"
    title = "Cursor expired"


# --- 413, 415 ---------------------------------------------------------------------------------


class PayloadTooLarge(ServiceError):
    http_status = 413
    code = "payload_too_large"
    title = "Payload too large"


class RateLimited(ServiceError):
    """Too many requests from one address (RFC 6585 §4); Retry-After says when to come back."""

    http_status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int = 60) -> None:
        super().__init__(
            detail,
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )


class UnsupportedMediaType(ServiceError):
    http_status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


# --- 422 --------------------------------------------------------------------------------------


class PayloadInvalid(ServiceError):
    http_status = 422
    code = "validation_failed"
    title = "Validation failed"


class RequirementsQueryInvalid(PayloadInvalid):
    """An unknown channel, company type or business scope item: every one listed at once."""

    code = "requirements_query_invalid"


class InvalidRole(PayloadInvalid):
    code = "invalid_role"


class WeakPassword(PayloadInvalid):
    code = "weak_password"


class NoCategory(PayloadInvalid):
    code = "no_category"


class UnknownChannel(PayloadInvalid):
    code = "unknown_channel"


class InvalidClientId(PayloadInvalid):
    code = "invalid_client_id"


class InvalidPublicKey(PayloadInvalid):
    code = "invalid_public_key"


class InvalidCallbackUrl(PayloadInvalid):
    code = "invalid_callback_url"


class InvalidKeyid(PayloadInvalid):
    code = "invalid_keyid"


class UnknownKeyPurpose(PayloadInvalid):
    code = "unknown_key_purpose"


class NameRefused(PayloadInvalid):
    code = "name_refused"


class IdempotencyKeyReused(PayloadInvalid):
    code = "idempotency_key_reused"


class PersonNotAttestable(PayloadInvalid):
    code = "person_not_attestable"


class AttestedPersonMismatch(PayloadInvalid):
    code = "attested_person_mismatch"


class SearchQueryInvalid(PayloadInvalid):
    code = "search_query_invalid"


class AttestationMalformed(PayloadInvalid):
    code = bank.AttestationMalformed.code


class AttestationKidRequired(PayloadInvalid):
    code = bank.AttestationKidRequired.code


class AttestationKeyUnknown(PayloadInvalid):
    code = bank.AttestationKeyUnknown.code


class AttestationKeyRevoked(PayloadInvalid):
    code = bank.AttestationKeyRevoked.code


class AttestationAlgorithmRefused(PayloadInvalid):
    code = bank.AttestationAlgorithmRefused.code


class AttestationSignatureInvalid(PayloadInvalid):
    code = bank.AttestationSignatureInvalid.code


class AttestationIssuerMismatch(PayloadInvalid):
    code = bank.AttestationIssuerMismatch.code


class AttestationAudienceMismatch(PayloadInvalid):
    code = bank.AttestationAudienceMismatch.code


class AttestationNotYetValid(PayloadInvalid):
    code = bank.AttestationNotYetValid.code


class AttestationExpired(PayloadInvalid):
    code = bank.AttestationExpired.code


class AttestationLifetimeTooLong(PayloadInvalid):
    code = bank.AttestationLifetimeTooLong.code


class AttestationWrongApplication(PayloadInvalid):
    code = bank.AttestationWrongApplication.code


class DocumentChipNotRead(PayloadInvalid):
    code = bank.DocumentChipNotRead.code


class LivenessCheckFailed(PayloadInvalid):
    code = bank.LivenessCheckFailed.code


class FaceMatchBelowThreshold(PayloadInvalid):
    code = bank.FaceMatchBelowThreshold.code


class BiometricDataPresent(PayloadInvalid):
    code = bank.BiometricDataPresent.code


# --- 429 --------------------------------------------------------------------------------------


class TooManyRequests(ServiceError):
    """Too many attempts: answered at once, with when to try again (RFC 6585 §4)."""

    http_status = 429
    code = "too_many_requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(
            detail,
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )


class SignInThrottled(TooManyRequests):
    code = "sign_in_throttled"


class SignInLocked(TooManyRequests):
    code = "sign_in_locked"


class TrackingThrottled(TooManyRequests):
    code = "tracking_throttled"


# --- 503 --------------------------------------------------------------------------------------


class ServiceUnavailable(ServiceError):
    """Overload, answered at once so the client retries later (RFC 9110 §15.6.4)."""

    http_status = 503
    code = "overloaded"
    title = "Service busy"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(
            detail,
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )


class DatabaseBusy(ServiceUnavailable):
    code = "database_busy"


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached or dropped the connection: a fault to wait out."""

    code = "database_unavailable"


class CrlUnavailable(ServiceUnavailable):
    """A CRL lapsed and could not be re-issued (signing.CrlUnavailable): ours to fix."""

    code = "crl_unavailable"
