"""Response and request bodies of the HTTP API (payload schemas live in `domain.application`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from registration.domain import return_reasons
from registration.domain.application import FieldError
from registration.domain.attestation import PersonToAttest
from registration.domain.workflow import Status, allowed_actions
from registration.models import (
    ApiClient,
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ClientKey,
    IdentityAttestation,
    Licence,
    WebhookDelivery,
    WebhookOutbox,
)
from registration.services.tracking import display_reference


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=2000)
    code: str | None = Field(
        default=None,
        max_length=40,
        description="A catalogued reason (" + ", ".join(return_reasons.CODES) + "): the investor "
        "reads its guidance in their own language",
    )

    @field_validator("code")
    @classmethod
    def _catalogued(cls, code: str | None) -> str | None:
        if code is not None and code not in return_reasons.BY_CODE:
            raise ValueError("not a catalogued reason code")
        return code

    def as_field_error(self) -> FieldError:
        return FieldError(
            field=self.field, message=self.message, code=self.code or "officer_reason"
        )


class ReasonsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Reason] = Field(default_factory=list, max_length=100)


class DocumentOut(BaseModel):
    id: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime

    @classmethod
    def of(cls, document: ApplicationDocument) -> DocumentOut:
        return cls.model_validate(document, from_attributes=True)


class LicenceLink(BaseModel):
    uscc: str
    version: int
    status: str
    url: str
    pdf_url: str

    @classmethod
    def of(cls, licence: Licence) -> LicenceLink:
        base = f"/api/v1/licences/{licence.uscc}"
        return cls(
            uscc=licence.uscc,
            version=licence.version,
            status=licence.status,
            url=f"{base}?v={licence.version}",
            pdf_url=f"{base}/pdf?v={licence.version}",
        )


class ApplicationOut(BaseModel):
    id: str
    status: str
    allowed_actions: list[str]
    channel: str
    language: str
    client_id: str
    category: str | None
    flags: list[dict[str, Any]]
    revision: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    data: dict[str, Any] = Field(description="The application as submitted (see the examples)")
    documents: list[DocumentOut]
    licence: LicenceLink | None = Field(description="Set once the licence is issued")
    tracking_reference: str | None = Field(
        default=None, description="What the investor enters on /track, with the tracking code"
    )
    client_reference: str | None = Field(
        default=None, description="The client's own name for the case, unique per client"
    )
    tracking_code: str | None = Field(
        default=None,
        description="Only in the response that created the application or issued a new code",
    )

    @classmethod
    def of(
        cls,
        application: Application,
        documents: list[ApplicationDocument],
        licence: Licence | None = None,
    ) -> ApplicationOut:
        return cls(
            id=application.id,
            status=application.status,
            allowed_actions=[a.value for a in allowed_actions(Status(application.status))],
            channel=application.channel,
            language=application.language,
            client_id=application.client_id,
            category=application.category,
            flags=application.flags,
            revision=application.revision,
            created_at=application.created_at,
            updated_at=application.updated_at,
            submitted_at=application.submitted_at,
            data=application.payload,
            documents=[DocumentOut.of(d) for d in documents],
            licence=LicenceLink.of(licence) if licence else None,
            client_reference=application.client_reference,
            tracking_reference=display_reference(application.tracking_reference)
            if application.tracking_reference
            else None,
        )


class ApplicationSummary(BaseModel):
    id: str
    status: str
    channel: str
    company_name_zh: str
    company_type: str
    category: str | None
    flags: list[dict[str, Any]]
    submitted_at: datetime | None
    created_at: datetime | None = None
    client_reference: str | None = None

    @classmethod
    def of(cls, application: Application) -> ApplicationSummary:
        return cls.model_validate(application, from_attributes=True)


class EventOut(BaseModel):
    seq: int
    action: str
    from_status: str
    to_status: str
    actor: str
    role: str
    reasons: list[dict[str, Any]]
    idempotency_key: str | None
    at: datetime

    @classmethod
    def of(cls, event: ApplicationEvent) -> EventOut:
        return cls.model_validate(event, from_attributes=True)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)
    expires_in: int


# --- clients, keys, attestations, webhooks (the terminal protocol) -------------------------

Channel = Literal["yinzhengtong", "hong_kong", "paris"]
KeyPurpose = Literal["request_signing", "attestation"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyIn(_In):
    public_key_pem: str = Field(
        min_length=40,
        max_length=4000,
        description="PEM SubjectPublicKeyInfo of an Ed25519 or ECDSA P-256 key",
    )
    keyid: str | None = Field(
        default=None,
        max_length=200,
        description="The keyid signatures will name; derived from the key's fingerprint if unset",
    )


class KeyAddIn(KeyIn):
    purpose: KeyPurpose = "request_signing"


class ClientIn(_In):
    client_id: str = Field(min_length=1, max_length=64)
    channel: Channel
    org: str = Field(min_length=1, max_length=200)
    callback_url: str | None = Field(default=None, max_length=2000)
    request_keys: list[KeyIn] = Field(
        default_factory=list,
        max_length=10,
        description="Request-signing keys; without any, the client gets a development token",
    )
    attestation_key: KeyIn | None = None


class ClientPatch(_In):
    callback_url: str | None = Field(default=None, max_length=2000)


class KeyOut(BaseModel):
    keyid: str
    purpose: str
    alg: str
    fingerprint: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ClientKey) -> KeyOut:
        return cls(
            keyid=key.keyid,
            purpose=key.purpose,
            alg=key.alg,
            fingerprint=key.fingerprint,
            active=key.revoked_at is None,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class ClientOut(BaseModel):
    client_id: str
    channel: str
    org: str
    role: str
    active: bool
    callback_url: str | None
    created_at: datetime
    keys: list[KeyOut]
    bearer_token: str | None = Field(
        default=None,
        description="Only in the answer that created a client without request-signing keys",
    )

    @classmethod
    def of(
        cls, client: ApiClient, keys: list[ClientKey], bearer_token: str | None = None
    ) -> ClientOut:
        return cls(
            client_id=client.client_id,
            channel=client.channel,
            org=client.org,
            role=client.role,
            active=client.active,
            callback_url=client.callback_url,
            created_at=client.created_at,
            keys=[KeyOut.of(k) for k in keys],
            bearer_token=bearer_token,
        )


class AttestationOut(BaseModel):
    id: str
    application_id: str
    person_ref: str | None = Field(description="The person it verifies, in the current payload")
    roles: list[str]
    document_type: str
    document_number: str
    person_name: str
    nationality: str
    birth_date: date
    face_match_score: float
    checked_at: datetime
    received_at: datetime
    issuer: str
    jti: str
    keyid: str

    @classmethod
    def of(cls, row: IdentityAttestation, person: PersonToAttest | None) -> AttestationOut:
        return cls(
            id=row.id,
            application_id=row.application_id,
            person_ref=person.ref if person else None,
            roles=list(person.roles) if person else [],
            document_type=row.document_type,
            document_number=row.document_key,
            person_name=row.person_name,
            nationality=row.nationality,
            birth_date=row.birth_date,
            face_match_score=row.face_match_score,
            checked_at=row.checked_at,
            received_at=row.received_at,
            issuer=row.issuer,
            jti=row.jti,
            keyid=row.keyid,
        )


class DeliveryOut(BaseModel):
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int
    at: datetime

    @classmethod
    def of(cls, row: WebhookDelivery) -> DeliveryOut:
        return cls.model_validate(row, from_attributes=True)


class WebhookOut(BaseModel):
    id: str
    application_id: str
    seq: int
    callback_url: str
    status: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    event: dict[str, object]
    deliveries: list[DeliveryOut]

    @classmethod
    def of(cls, row: WebhookOutbox, deliveries: list[WebhookDelivery]) -> WebhookOut:
        return cls(
            id=row.id,
            application_id=row.application_id,
            seq=row.seq,
            callback_url=row.callback_url,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            event=row.event,
            deliveries=[DeliveryOut.of(d) for d in deliveries],
        )
