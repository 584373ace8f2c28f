"""HTTP endpoints of the terminal protocol: client registry (admin), attestations, webhook keys."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status
from sqlmodel import col, select

from registration.api.deps import IdempotencyKey, PrincipalDep, SessionDep, SettingsDep
from registration.db import utcnow
from registration.domain.attestation import AttestedFacts, attested_person
from registration.domain.workflow import Role
from registration.errors import Forbidden, NotFound, ServiceError
from registration.models import WebhookOutbox
from registration.principal import Principal
from registration.services import applications, attestations, clients, webhooks
from registration.terminals.schemas import (
    AttestationOut,
    ClientIn,
    ClientOut,
    ClientPatch,
    KeyAddIn,
    KeyOut,
    WebhookOut,
)

JOSE = "application/jose"  # RFC 7515 §9.2.1: compact serialization
JWK_SET = "application/jwk-set+json"  # RFC 7517 §8.5.1


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


# --- registrar administration -------------------------------------------------------------

admin = APIRouter(prefix="/api/v1/admin/clients", tags=["admin: clients"])


def _require_registrar(principal: Principal) -> None:
    if principal.role is not Role.REGISTRAR_ADMIN:
        raise Forbidden("client administration is for registrar admins", code="role_not_permitted")


def _client_out(session: SessionDep, client_id: str, token: str | None = None) -> ClientOut:
    client = clients.get_client(session, client_id)
    return ClientOut.of(client, clients.list_keys(session, client_id), token)


@admin.post("", status_code=status.HTTP_201_CREATED, response_model=ClientOut)
def create_client(
    body: ClientIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ClientOut:
    """Register a bank terminal, app gateway or branch with its keys and callback URL."""
    _require_registrar(principal)
    client, _, token = clients.register_client(
        session,
        body.client_id,
        body.channel,
        body.org,
        request_keys=[clients.KeySpec(k.public_key_pem, k.keyid) for k in body.request_keys],
        attestation_key=(
            clients.KeySpec(body.attestation_key.public_key_pem, body.attestation_key.keyid)
            if body.attestation_key
            else None
        ),
        callback_url=body.callback_url,
        require_https=not settings.is_development,
    )
    response.headers["Location"] = f"/api/v1/admin/clients/{client.client_id}"
    return _client_out(session, client.client_id, token)


@admin.get("", response_model=list[ClientOut])
def list_clients(session: SessionDep, principal: PrincipalDep) -> list[ClientOut]:
    _require_registrar(principal)
    return [
        ClientOut.of(c, clients.list_keys(session, c.client_id))
        for c in clients.list_clients(session)
    ]


@admin.get("/{client_id}", response_model=ClientOut)
def get_client(client_id: str, session: SessionDep, principal: PrincipalDep) -> ClientOut:
    _require_registrar(principal)
    return _client_out(session, client_id)


@admin.patch("/{client_id}", response_model=ClientOut)
def update_client(
    client_id: str,
    body: ClientPatch,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> ClientOut:
    """Set or clear (null) the callback URL for status-change webhooks."""
    _require_registrar(principal)
    clients.set_callback_url(
        session, client_id, body.callback_url, require_https=not settings.is_development
    )
    return _client_out(session, client_id)


@admin.post("/{client_id}/keys", status_code=status.HTTP_201_CREATED, response_model=KeyOut)
def add_key(
    client_id: str,
    body: KeyAddIn,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> KeyOut:
    """Add a key. A request-signing key sits beside the others (rotation by keyid) and ends
    the client's bearer tokens; a new attestation key replaces the previous one."""
    _require_registrar(principal)
    key = clients.add_key(
        session, client_id, clients.KeySpec(body.public_key_pem, body.keyid), body.purpose
    )
    return KeyOut.of(key)


@admin.post("/{client_id}/keys/{keyid}/revoke", response_model=KeyOut)
def revoke_key(client_id: str, keyid: str, session: SessionDep, principal: PrincipalDep) -> KeyOut:
    """Revoke a key at once: signatures naming it are refused with `unknown_key`."""
    _require_registrar(principal)
    return KeyOut.of(clients.revoke_key(session, client_id, keyid))


@admin.post("/{client_id}/suspend", response_model=ClientOut)
def suspend_client(client_id: str, session: SessionDep, principal: PrincipalDep) -> ClientOut:
    """Refuse every request of the client (`client_suspended`) until it is resumed."""
    _require_registrar(principal)
    clients.set_active(session, client_id, False)
    return _client_out(session, client_id)


@admin.post("/{client_id}/resume", response_model=ClientOut)
def resume_client(client_id: str, session: SessionDep, principal: PrincipalDep) -> ClientOut:
    _require_registrar(principal)
    clients.set_active(session, client_id, True)
    return _client_out(session, client_id)


@admin.get("/{client_id}/webhooks", response_model=list[WebhookOut])
def client_webhooks(
    client_id: str, session: SessionDep, principal: PrincipalDep
) -> list[WebhookOut]:
    """The client's webhooks, newest first, each with its delivery log."""
    _require_registrar(principal)
    clients.get_client(session, client_id)
    rows = session.exec(
        select(WebhookOutbox)
        .where(WebhookOutbox.client_id == client_id)
        .order_by(col(WebhookOutbox.created_at).desc(), col(WebhookOutbox.seq).desc())
        .limit(200)
    )
    return [WebhookOut.of(row, webhooks.delivery_log(session, row.id)) for row in rows]


# --- identity attestations ----------------------------------------------------------------

attestation_router = APIRouter(prefix="/api/v1/applications", tags=["applications"])


@attestation_router.post(
    "/{application_id}/attestations",
    status_code=status.HTTP_201_CREATED,
    response_model=AttestationOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {JOSE: {"schema": {"type": "string", "description": "compact JWS"}}},
        }
    },
)
def post_attestation(
    application_id: str,
    request: Request,
    token: Annotated[str, Body(media_type=JOSE, max_length=16384, include_in_schema=False)],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> AttestationOut:
    """The bank's identity attestation for one person, as a compact JWS (`application/jose`);
    claims as in `examples/attestation-claims.json`."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != JOSE:
        raise UnsupportedMediaType(
            f"send the compact JWS as {JOSE} (RFC 7515 §9.2.1), not {media_type or 'nothing'}"
        )
    row, match = attestations.attest(
        session,
        principal,
        application_id,
        token.strip(),
        now=utcnow(),
        face_match_threshold=settings.face_match_threshold,
    )
    return AttestationOut.of(row, match.person)


@attestation_router.get("/{application_id}/attestations", response_model=list[AttestationOut])
def get_attestations(
    application_id: str, session: SessionDep, principal: PrincipalDep
) -> list[AttestationOut]:
    rows = attestations.list_attestations(session, principal, application_id)
    application = applications.get_application(session, principal, application_id)
    payload = applications.parse_payload(application.payload)
    return [
        AttestationOut.of(
            r,
            attested_person(
                payload,
                AttestedFacts(
                    r.document_type, r.document_key, r.person_name, r.birth_date, r.nationality
                ),
            ),
        )
        for r in rows
    ]


# --- the authority's webhook key ----------------------------------------------------------

webhook_router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@webhook_router.get("/keys", response_class=Response)
def webhook_keys(settings: SettingsDep) -> Response:
    """The JWK Set whose key signs every webhook (RFC 9421 `keyid` = the JWK `kid`)."""
    key = webhooks.webhook_key(settings.webhook_key_path)
    return Response(
        json.dumps({"keys": [key.jwk()]}),
        media_type=JWK_SET,
        headers={"Cache-Control": "public, max-age=3600"},
    )


@webhook_router.get("/keys/{kid}.pem", response_class=Response)
def webhook_key_pem(kid: str, settings: SettingsDep) -> Response:
    """The same public key as PEM SubjectPublicKeyInfo, for tools that prefer it."""
    key = webhooks.webhook_key(settings.webhook_key_path)
    if kid != key.keyid:
        raise NotFound(f"no webhook key {kid!r}", code="key_not_found")
    return Response(key.public_pem(), media_type="application/x-pem-file")
