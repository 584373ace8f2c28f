"""Client registry administration (registrar admins): clients, their keys, callback URL,
suspension, and the webhooks sent to them."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlmodel import col, select

from registration.api.deps import (
    AUTHENTICATION_ERRORS,
    IDEMPOTENCY_ERRORS,
    IdempotencyKey,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.api.schemas import ClientIn, ClientOut, ClientPatch, KeyAddIn, KeyOut, WebhookOut
from registration.domain.workflow import Role
from registration.errors import (
    ClientExists,
    ClientNotFound,
    InvalidCallbackUrl,
    InvalidClientId,
    InvalidKeyid,
    InvalidPublicKey,
    KeyidTaken,
    KeyNotFound,
    PayloadInvalid,
    RoleNotPermitted,
    UnknownChannel,
    UnknownKeyPurpose,
)
from registration.models import WebhookOutbox
from registration.principal import Principal
from registration.services import clients, webhooks

# Every route is for registrar admins only.
router = APIRouter(
    prefix="/api/v1/admin/clients",
    tags=["admin: clients"],
    responses=problem_responses(*AUTHENTICATION_ERRORS, RoleNotPermitted, *OVERLOAD_ERRORS),
)
_ONE = problem_responses(ClientNotFound, PayloadInvalid)
_KEY_ERRORS = (InvalidPublicKey, InvalidKeyid, KeyidTaken)


def _require_registrar(principal: Principal) -> None:
    if principal.role is not Role.REGISTRAR_ADMIN:
        raise RoleNotPermitted("client administration is for registrar admins")


def _client_out(session: SessionDep, client_id: str, token: str | None = None) -> ClientOut:
    client = clients.get_client(session, client_id)
    return ClientOut.of(client, clients.list_keys(session, client_id), token)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientOut,
    responses=problem_responses(
        InvalidClientId,
        UnknownChannel,
        InvalidCallbackUrl,
        *_KEY_ERRORS,
        ClientExists,
        PayloadInvalid,
        *IDEMPOTENCY_ERRORS,
    ),
)
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
        by=principal.subject,
    )
    response.headers["Location"] = f"/api/v1/admin/clients/{client.client_id}"
    return _client_out(session, client.client_id, token)


@router.get("", response_model=list[ClientOut])
def list_clients(session: SessionDep, principal: PrincipalDep) -> list[ClientOut]:
    _require_registrar(principal)
    return [
        ClientOut.of(c, clients.list_keys(session, c.client_id))
        for c in clients.list_clients(session)
    ]


@router.get("/{client_id}", response_model=ClientOut, responses=_ONE)
def get_client(client_id: str, session: SessionDep, principal: PrincipalDep) -> ClientOut:
    _require_registrar(principal)
    return _client_out(session, client_id)


@router.patch(
    "/{client_id}",
    response_model=ClientOut,
    responses=problem_responses(ClientNotFound, InvalidCallbackUrl, PayloadInvalid),
)
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
        session,
        client_id,
        body.callback_url,
        require_https=not settings.is_development,
        by=principal.subject,
    )
    return _client_out(session, client_id)


@router.post(
    "/{client_id}/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=KeyOut,
    responses=problem_responses(
        ClientNotFound, UnknownKeyPurpose, *_KEY_ERRORS, PayloadInvalid, *IDEMPOTENCY_ERRORS
    ),
)
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
        session,
        client_id,
        clients.KeySpec(body.public_key_pem, body.keyid),
        body.purpose,
        by=principal.subject,
    )
    return KeyOut.of(key)


@router.post(
    "/{client_id}/keys/{keyid}/revoke",
    response_model=KeyOut,
    responses=problem_responses(KeyNotFound, PayloadInvalid),
)
def revoke_key(client_id: str, keyid: str, session: SessionDep, principal: PrincipalDep) -> KeyOut:
    """Revoke a key at once: signatures naming it are refused with `unknown_key`."""
    _require_registrar(principal)
    return KeyOut.of(clients.revoke_key(session, client_id, keyid, by=principal.subject))


@router.post("/{client_id}/suspend", response_model=ClientOut, responses=_ONE)
def suspend_client(client_id: str, session: SessionDep, principal: PrincipalDep) -> ClientOut:
    """Refuse every request of the client (`client_suspended`) until it is resumed."""
    _require_registrar(principal)
    clients.set_active(session, client_id, False, by=principal.subject)
    return _client_out(session, client_id)


@router.post("/{client_id}/resume", response_model=ClientOut, responses=_ONE)
def resume_client(client_id: str, session: SessionDep, principal: PrincipalDep) -> ClientOut:
    _require_registrar(principal)
    clients.set_active(session, client_id, True, by=principal.subject)
    return _client_out(session, client_id)


@router.get("/{client_id}/webhooks", response_model=list[WebhookOut], responses=_ONE)
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
