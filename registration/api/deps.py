"""FastAPI dependencies: the per-request session and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from registration.errors import (
    AccountDisabled,
    ClientSuspended,
    DigestMismatch,
    IdempotencyClaimLost,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IdempotencyResponseLost,
    InvalidToken,
    NotAuthenticated,
    ReplayedNonce,
    SignatureInvalid,
    SignatureMissing,
    StaleSignature,
    TokenExpired,
    UnknownKey,
)
from registration.http import signatures
from registration.http.exchange import claim_idempotency_key, exchange_of
from registration.principal import Principal
from registration.services import accounts
from registration.settings import Settings

bearer = HTTPBearer(
    auto_error=False, description="Token from /api/v1/auth/token or `bizreg client add`"
)


def client_address(request: Request) -> str:
    """The peer's address (behind a proxy, uvicorn's --proxy-headers puts the client's here)."""
    return request.client.host if request.client else ""


async def get_settings(request: Request) -> Settings:
    # Async: FastAPI runs a plain function dependency in a worker thread, a round trip
    # through the thread pool to read an attribute.
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# Closed when the endpoint returns, before the response is sent: a request gives its connection
# back before the next request of the same client can arrive (the request cap counts on it).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if signatures.is_signed(request.headers):
        # Bank terminals: RFC 9421 signature over the raw request (registration/http/signatures.py).
        return signatures.authenticate(
            session,
            method=request.method,
            uri=signatures.target_uri(settings.base_url, request.scope),
            headers=[
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]
            ],
            body=exchange_of(request).body or b"",
            max_skew=timedelta(seconds=settings.signature_max_skew_seconds),
            address=request.client.host if request.client else None,
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _no_credentials(request)
    principal = accounts.authenticate(session, credentials.credentials)
    signatures.refuse_bearer_for_keyed_client(session, principal)
    return principal


def _no_credentials(request: Request) -> NotAuthenticated:
    """A request with neither signature nor token. One that carries a Content-Digest or an
    Idempotency-Key comes from terminal software that meant to sign (keyed clients have no
    bearer tokens): tell it what to sign. Either way the answer offers both schemes."""
    advice = {"Accept-Signature": signatures.ACCEPT_SIGNATURE}
    if "content-digest" in request.headers or "idempotency-key" in request.headers:
        return SignatureMissing(
            "the request is not signed: sign it (RFC 9421) with the client's registered key, "
            "covering what Accept-Signature lists",
            headers=advice,
        )
    return NotAuthenticated(
        "send `Authorization: Bearer <token>`, or sign the request (RFC 9421) if your client "
        "has registered keys (see Accept-Signature)",
        headers=advice,
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]
# What a route taking PrincipalDep may answer with before the endpoint runs (its OpenAPI).
AUTHENTICATION_ERRORS = (
    NotAuthenticated,
    InvalidToken,
    TokenExpired,
    AccountDisabled,
    ClientSuspended,
    SignatureMissing,
    SignatureInvalid,
    DigestMismatch,
    StaleSignature,
    UnknownKey,
    ReplayedNonce,
)


async def idempotency_key(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Makes a retried POST safe: same key and body, same response (24 h)",
        ),
    ] = None,
) -> str | None:
    if key is not None:
        await claim_idempotency_key(request, session, principal, key)
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
IDEMPOTENCY_ERRORS = (
    IdempotencyKeyReused,
    IdempotencyInProgress,
    IdempotencyResponseLost,
    IdempotencyClaimLost,
)
