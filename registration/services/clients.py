"""The client registry: who may call, with which keys, and where their webhooks go.

A client holds any number of active request-signing keys and any number of active attestation
keys. Rotation is the same for both: add the new keyid, move the terminals (or the identity
system) over while both verify, revoke the old one. A request signature names its key by
`keyid`, an attestation by the JWS header's `kid` (`attestation_key`); a `kid`-less
attestation is accepted only while the client has exactly one active attestation key, so
clients registered before rotation existed keep working. The algorithm is never chosen by
the caller: it is derived from the key (RFC 9421 §3.2 step 6, §7.3.6).

Bearer tokens are for development clients only: registering a request-signing key revokes the
client's tokens, and `registration.http.signatures` refuses a bearer token from a client
that has an active key, so a leaked token of a production terminal is worthless.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from sqlalchemy import update
from sqlmodel import Session, col, select

from bank_adapter import (
    AttestationKeyRevoked,
    AttestationKeyUnknown,
    AttestationKidRequired,
    PublicKey,
    load_public_key,
    signature_algorithm_for,
)
from registration.db import utcnow
from registration.domain.application import FieldError
from registration.errors import (
    ClientNotFound,
    InvalidCallbackUrl,
    InvalidClientId,
    InvalidKeyid,
    InvalidPublicKey,
    KeyidTaken,
    KeyNotFound,
    NoAttestationKey,
    UnknownKeyPurpose,
)
from registration.models import ATTESTATION, REQUEST_SIGNING, AccessToken, ApiClient, ClientKey
from registration.services import accounts, ledger

KEY_PURPOSES = (REQUEST_SIGNING, ATTESTATION)
# A keyid travels as an RFC 9651 sf-string in Signature-Input; keep it to characters that need
# no escaping anywhere (URLs, logs, file names).
_KEYID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class KeySpec:
    """A public key to register; `keyid` None derives one from the key's fingerprint."""

    public_key_pem: str
    keyid: str | None = None


def fingerprint(key: PublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, hex: what `openssl pkey -pubin` users compare."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


@lru_cache(maxsize=1024)
def public_key_from_pem(pem: str) -> PublicKey:
    """Parse a stored PEM once per process (parsing costs more than verifying a signature)."""
    return load_public_key(pem)


def _parse_key(pem: str, field: str) -> PublicKey:
    try:
        return load_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError) as error:
        raise InvalidPublicKey(
            "the public key is not a PEM Ed25519 or ECDSA P-256 SubjectPublicKeyInfo",
            errors=[FieldError(field, str(error)[:200], "invalid_public_key")],
        ) from None


def check_callback_url(url: str, *, require_https: bool) -> str:
    parts = urlsplit(url)
    problem = None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problem = "must be an absolute http(s) URL"
    elif require_https and parts.scheme != "https":
        # The webhook body names applications and their status: never in clear outside tests.
        problem = "must use https"
    elif parts.username or parts.password or parts.fragment:
        problem = "must not carry credentials or a fragment"
    elif len(url) > 2000:
        problem = "is longer than 2000 characters"
    if problem:
        raise InvalidCallbackUrl(
            f"callback URL {problem}",
            errors=[FieldError("callback_url", f"the callback URL {problem}", "invalid_url")],
        )
    return url


def get_client(session: Session, client_id: str) -> ApiClient:
    client = session.get(ApiClient, client_id)
    if client is None:
        raise ClientNotFound(f"no client {client_id!r}")
    return client


def list_clients(session: Session) -> list[ApiClient]:
    return list(session.exec(select(ApiClient).order_by(col(ApiClient.client_id))))


def list_keys(session: Session, client_id: str) -> list[ClientKey]:
    statement = (
        select(ClientKey)
        .where(ClientKey.client_id == client_id)
        .order_by(col(ClientKey.created_at), col(ClientKey.keyid))
    )
    return list(session.exec(statement))


def has_active_request_key(session: Session, client_id: str) -> bool:
    statement = select(ClientKey.keyid).where(
        ClientKey.client_id == client_id,
        ClientKey.purpose == REQUEST_SIGNING,
        col(ClientKey.revoked_at).is_(None),
    )
    return session.exec(statement.limit(1)).first() is not None


def active_attestation_keys(session: Session, client_id: str) -> list[ClientKey]:
    statement = select(ClientKey).where(
        ClientKey.client_id == client_id,
        ClientKey.purpose == ATTESTATION,
        col(ClientKey.revoked_at).is_(None),
    )
    return list(session.exec(statement.order_by(col(ClientKey.created_at), col(ClientKey.keyid))))


def attestation_key(session: Session, client_id: str, kid: str | None) -> ClientKey:
    """The attestation key a JWS names by `kid` (None: the client's only active one).

    Raises `NoAttestationKey` when the client has none at all, else bank_adapter's refusals
    (`AttestationKidRequired`, `AttestationKeyUnknown`, `AttestationKeyRevoked`), so the caller
    counts and answers them like every other refused attestation.
    """
    active = active_attestation_keys(session, client_id)
    if kid is None:
        if not active:
            raise NoAttestationKey(
                "this client has no registered attestation key; ask the registrar to add one"
            )
        if len(active) > 1:
            raise AttestationKidRequired(
                f"this client has {len(active)} active attestation keys: name one in the "
                "JWS header's kid"
            )
        return active[0]
    key = session.get(ClientKey, kid)
    # Another client's key, or a request-signing key, is as unknown here as no key at all.
    if key is None or key.client_id != client_id or key.purpose != ATTESTATION:
        if not active:
            raise NoAttestationKey(
                "this client has no registered attestation key; ask the registrar to add one"
            )
        raise AttestationKeyUnknown(f"this client has no attestation key {kid!r}")
    if key.revoked_at is not None:
        raise AttestationKeyRevoked(f"attestation key {kid!r} has been revoked")
    return key


def register_client(
    session: Session,
    client_id: str,
    channel: str,
    org: str,
    *,
    request_keys: Sequence[KeySpec] = (),
    attestation_key: KeySpec | None = None,
    callback_url: str | None = None,
    require_https: bool = False,
    by: str,
) -> tuple[ApiClient, list[ClientKey], str | None]:
    """Register a client with its keys, in one transaction.

    Returns the client, its keys, and a bearer token only when no request-signing key was
    given (a development client, which keeps using `Authorization: Bearer`).
    """
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidClientId(
            "a client id is 1-64 letters, digits, '.', '_' or '-'",
            errors=[FieldError("client_id", "letters, digits, . _ -", "invalid_client_id")],
        )
    checked_url = (
        check_callback_url(callback_url, require_https=require_https) if callback_url else None
    )
    client = accounts.new_client(session, client_id, channel, org, checked_url)
    session.flush()  # the keys' foreign key needs the client row first
    keys = [_add_key(session, client, spec, REQUEST_SIGNING) for spec in request_keys]
    if attestation_key is not None:
        keys.append(_add_key(session, client, attestation_key, ATTESTATION))
    token = None if request_keys else accounts.issue_client_token(session, client_id)
    ledger.record_admin(
        session,
        "client.create",
        f"client:{client_id}",
        by,
        channel=channel,
        org=org,
        callback_url=checked_url,
        keys=[{"keyid": k.keyid, "purpose": k.purpose, "fingerprint": k.fingerprint} for k in keys],
    )
    session.commit()
    return client, keys, token


def add_key(
    session: Session, client_id: str, spec: KeySpec, purpose: str = REQUEST_SIGNING, *, by: str
) -> ClientKey:
    if purpose not in KEY_PURPOSES:
        raise UnknownKeyPurpose(f"unknown key purpose {purpose!r}")
    client = get_client(session, client_id)
    key = _add_key(session, client, spec, purpose)
    ledger.record_admin(
        session,
        "client.key_add",
        f"client:{client_id}",
        by,
        keyid=key.keyid,
        purpose=purpose,
        fingerprint=key.fingerprint,
    )
    session.commit()
    return key


def _add_key(session: Session, client: ApiClient, spec: KeySpec, purpose: str) -> ClientKey:
    field = "attestation_key" if purpose == ATTESTATION else "public_key_pem"
    public_key = _parse_key(spec.public_key_pem, field)
    digest = fingerprint(public_key)
    keyid = spec.keyid or f"{client.client_id}-{digest[:16]}"
    if not _KEYID.fullmatch(keyid):
        raise InvalidKeyid(
            "a keyid is 1-200 letters, digits, '.', '_', ':', '@' or '-'",
            errors=[FieldError("keyid", "letters, digits, . _ : @ -", "invalid_keyid")],
        )
    if session.get(ClientKey, keyid) is not None:
        # Never reuse a keyid, even a revoked one: a keyid names exactly one key for ever, so
        # old signatures and logs stay unambiguous.
        raise KeyidTaken(f"keyid {keyid!r} is taken")
    now = utcnow()
    if purpose == REQUEST_SIGNING:
        # From its first key on, the client authenticates by signature only.
        session.execute(
            update(AccessToken)
            .where(
                col(AccessToken.subject_kind) == "client",
                col(AccessToken.subject_id) == client.client_id,
            )
            .values(revoked=True)
        )
    key = ClientKey(
        keyid=keyid,
        client_id=client.client_id,
        purpose=purpose,
        alg=signature_algorithm_for(public_key),
        public_key_pem=public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii"),
        fingerprint=digest,
        created_at=now,
    )
    session.add(key)
    return key


def revoke_key(session: Session, client_id: str, keyid: str, *, by: str) -> ClientKey:
    """Revoke a key; revoking a revoked key changes nothing (a retried revocation is safe)."""
    key = session.get(ClientKey, keyid)
    if key is None or key.client_id != client_id:
        raise KeyNotFound(f"client {client_id!r} has no key {keyid!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        ledger.record_admin(session, "client.key_revoke", f"client:{client_id}", by, keyid=keyid)
        session.commit()
    return key


def set_active(session: Session, client_id: str, active: bool, *, by: str) -> ApiClient:
    """Suspend (False) or resume (True) a client; its keys and tokens are kept."""
    client = get_client(session, client_id)
    if client.active != active:
        client.active = active
        session.add(client)
        action = "client.resume" if active else "client.suspend"
        ledger.record_admin(session, action, f"client:{client_id}", by)
        session.commit()
    return client


def set_callback_url(
    session: Session, client_id: str, url: str | None, *, require_https: bool, by: str
) -> ApiClient:
    client = get_client(session, client_id)
    client.callback_url = check_callback_url(url, require_https=require_https) if url else None
    session.add(client)
    ledger.record_admin(
        session, "client.callback_url", f"client:{client_id}", by, url=client.callback_url
    )
    session.commit()
    return client
