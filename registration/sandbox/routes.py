"""/sandbox/v1/…: what the sandbox adds to the API (docs/sandbox.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from registration.api.deps import PrincipalDep, SessionDep
from registration.db import utcnow
from registration.errors import Forbidden, NotFound
from registration.models import ApiClient, Application, ClientKey
from registration.models.webhooks import WebhookOutbox
from registration.sandbox import grading, journal, report
from registration.services import clients

router = APIRouter(prefix="/sandbox/v1", tags=["sandbox"])


class CallbackUrl(BaseModel):
    url: str = Field(min_length=1, max_length=2000)


class Receipt(BaseModel):
    event_id: str = Field(min_length=1, max_length=36)
    keyid: str = Field(min_length=1, max_length=64, description="the authority key it verified")


def _sandbox(request: Request) -> Any:
    return request.app.state.sandbox


def _client(principal: PrincipalDep) -> str:
    if not principal.is_client:
        raise Forbidden("the sandbox's endpoints are for the sandbox client")
    return principal.subject


@router.get("/key")
def key(request: Request) -> dict[str, Any]:
    """The sandbox's report key (JWK): what `verify-report` checks the report with."""
    return report.public_jwk(_sandbox(request).report_key)


@router.put("/callback")
def set_callback(
    body: CallbackUrl, principal: PrincipalDep, session: SessionDep
) -> dict[str, str | None]:
    """Where the sandbox delivers this client's webhooks (http allowed: it is a sandbox)."""
    client = clients.set_callback_url(
        session, _client(principal), body.url, require_https=False, by="sandbox"
    )
    return {"callback_url": client.callback_url}


@router.post("/webhook-receipts", status_code=201)
def webhook_receipt(body: Receipt, principal: PrincipalDep, request: Request) -> dict[str, str]:
    """The client says it received and verified the webhook `event_id` with the authority key
    `keyid`: the report checks that against what was delivered."""
    client_id = _client(principal)
    _sandbox(request).journal.append(
        journal.Entry(
            at=journal.now(),
            kind="receipt",
            client_id=client_id,
            event_id=body.event_id,
            event_keyid=body.keyid,
        )
    )
    return {"event_id": body.event_id, "recorded": "yes"}


@router.get("/report")
def conformance_report(
    request: Request,
    session: SessionDep,
    client_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, Any]:
    """The client's conformance report so far, and the same signed by the sandbox (`jws`)."""
    if session.get(ApiClient, client_id) is None:
        raise NotFound(f"no sandbox client {client_id!r}")
    sandbox = _sandbox(request)
    steps = grading.grade(sandbox.journal.entries(), facts(session, client_id))
    content = report.build(client_id, steps, utcnow().isoformat())
    return {"report": content, "jws": report.sign(content, sandbox.report_key)}


def facts(session: Session, client_id: str) -> grading.ClientFacts:
    keyids = session.exec(select(ClientKey.keyid).where(ClientKey.client_id == client_id)).all()
    issued = session.exec(
        select(Application.id).where(
            Application.client_id == client_id, Application.status == "issued"
        )
    ).all()
    # Sent at least once (signed): the event id is a random UUID that only the webhook's body
    # carries, so a receipt naming it proves the delivery arrived, even if the sandbox has not
    # yet recorded the 2xx that answered it.
    sent = session.exec(
        select(WebhookOutbox.id, WebhookOutbox.signed_keyid).where(
            WebhookOutbox.client_id == client_id,
            WebhookOutbox.signed_keyid.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    return grading.ClientFacts(
        client_id=client_id,
        keyids=frozenset(keyids),
        issued_applications=len(issued),
        delivered_events=dict(sent),
    )
