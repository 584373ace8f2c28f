"""Response and request bodies of the HTTP API (payload schemas live in `domain.application`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from registration.domain.application import FieldError
from registration.domain.workflow import Status, allowed_actions
from registration.models import Application, ApplicationDocument, ApplicationEvent, Licence


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=2000)

    def as_field_error(self) -> FieldError:
        return FieldError(field=self.field, message=self.message, code="officer_reason")


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
