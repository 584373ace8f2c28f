"""What the application use cases (`services/applications.py`) ask of the terminal protocol.

Both run inside the caller's transaction and never commit: the attestation requirement is
checked where submission is decided, and a status change's webhook is queued in the same
transaction as the change (transactional outbox), so it is sent if and only if the change
was committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bank_adapter import StatusChangeEvent
from registration.domain.application import ApplicationPayload, FieldError
from registration.models import ApiClient, Application, IdentityAttestation, Licence, WebhookOutbox
from registration.terminals import identity


def attestation_errors(
    session: Session, application_id: str, payload: ApplicationPayload
) -> list[FieldError]:
    """`attestation_missing` / `attested_person_mismatch` for each person the bank has not
    attested, as the application is now.

    The full match (document, name, birth date, nationality) is re-run against the current
    payload: an attestation for a document number edited away, or for a person whose name,
    birth date or nationality was edited afterwards, no longer counts.
    """
    return identity.attestation_errors(payload, stored_facts(session, application_id))


def stored_facts(session: Session, application_id: str) -> list[identity.AttestedFacts]:
    """What the stored attestations of an application state about their persons."""
    statement = select(IdentityAttestation).where(
        IdentityAttestation.application_id == application_id
    )
    return [
        identity.AttestedFacts(
            row.document_type, row.document_key, row.person_name, row.birth_date, row.nationality
        )
        for row in session.exec(statement)
    ]


def status_changed(
    session: Session,
    application: Application,
    seq: int,
    previous_status: str,
    status: str,
    reasons: Sequence[dict[str, Any]],
    at: datetime,
) -> None:
    """Queue the webhook for a status change, if the client registered a callback URL."""
    client = session.get(ApiClient, application.client_id)
    if client is None or not client.callback_url:
        return
    uscc = None
    if status == "issued":
        licence = session.exec(
            select(Licence).where(Licence.application_id == application.id)
        ).first()
        uscc = licence.uscc if licence else None
    event_id = str(uuid.uuid4())
    event = StatusChangeEvent(
        event_id=event_id,
        application_id=application.id,
        previous_status=previous_status,
        status=status,
        occurred_at=at,
        reasons=tuple(reasons),
        licence_uscc=uscc,
    )
    session.add(
        WebhookOutbox(
            id=event_id,
            client_id=client.client_id,
            application_id=application.id,
            seq=seq,
            callback_url=client.callback_url,
            event=event.to_json(),
            created_at=at,
            next_attempt_at=at,
        )
    )
