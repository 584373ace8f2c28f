"""Database tables (SQLModel), one module per aggregate. Schema changes go through the Alembic
migrations in `registration/migrations/`.

Importing this package registers every table on `SQLModel.metadata` (Alembic's environment and
the migration test rely on that).

accounts      officer, access_token (bearer tokens of officers and clients)
clients       api_client, client_key (request-signing and attestation public keys)
applications  application, application_event (the log), application_document
attestations  identity_attestation (verified bank attestations, never biometric data)
names         company_name (reserved, held, registered)
uscc          uscc_allocation
issuance      issuance_job
licences      licence, licence_event
webhooks      webhook_outbox, webhook_delivery
nonces        signature_nonce (RFC 9421 replay protection)
idempotency   idempotency_record (`Idempotency-Key`)
console       console_session, application_claim (the officer console)
revocations   revocation_request (four eyes: one registrar proposes, another confirms)
security_events  security_event (sign-ins, failures, lockouts, refused signatures; per minute)
transparency  log_leaf, log_head, log_checkpoint (the transparency log), admin_event
investors     notice (sealed notices of each step), mail_outbox, mail_delivery (e-mails)
life          feed_event (the public change feed), deregistration, deregistration_objection,
              company_attestation (an attested legal representative's company actions)
"""

from registration.models.accounts import AccessToken, Officer
from registration.models.applications import Application, ApplicationDocument, ApplicationEvent
from registration.models.archive import ArchiveRenewal
from registration.models.attestations import IdentityAttestation
from registration.models.clients import ATTESTATION, REQUEST_SIGNING, ApiClient, ClientKey
from registration.models.console import ApplicationClaim, ConsoleSession
from registration.models.idempotency import IdempotencyRecord
from registration.models.investors import MailDelivery, MailOutbox, Notice
from registration.models.issuance import IssuanceJob
from registration.models.licences import Licence, LicenceEvent
from registration.models.life import CompanyAttestation, Deregistration, FeedEvent, Objection
from registration.models.names import CompanyName
from registration.models.nonces import SignatureNonce
from registration.models.revocations import RevocationRequest
from registration.models.security_events import SecurityEvent
from registration.models.transparency import AdminEvent, LogCheckpoint, LogHead, LogLeaf
from registration.models.uscc import UsccAllocation
from registration.models.webhooks import WebhookDelivery, WebhookOutbox

__all__ = [
    "ATTESTATION",
    "REQUEST_SIGNING",
    "AccessToken",
    "AdminEvent",
    "ApiClient",
    "Application",
    "ApplicationClaim",
    "ApplicationDocument",
    "ApplicationEvent",
    "ArchiveRenewal",
    "ClientKey",
    "CompanyAttestation",
    "CompanyName",
    "ConsoleSession",
    "Deregistration",
    "FeedEvent",
    "IdempotencyRecord",
    "IdentityAttestation",
    "IssuanceJob",
    "Licence",
    "LicenceEvent",
    "LogCheckpoint",
    "LogHead",
    "LogLeaf",
    "MailDelivery",
    "MailOutbox",
    "Notice",
    "Objection",
    "Officer",
    "RevocationRequest",
    "SecurityEvent",
    "SignatureNonce",
    "UsccAllocation",
    "WebhookDelivery",
    "WebhookOutbox",
]
