"""Several active attestation keys per client: the JWS `kid` picks one, so a bank rotates
(add the new key, both verify, revoke the old) without a moment when its attestations fail."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registration.models import AdminEvent, IdentityAttestation
from registration.services import clients
from tests.api.helpers import act, create
from tests.conftest import example, row_counts
from tests.terminals.support import ATTESTERS, JOSE, Attester, new_key, public_pem

Headers = dict[str, str]


def _post(client: TestClient, headers: Headers, app_id: str, token: str) -> httpx.Response:
    return client.post(
        f"/api/v1/applications/{app_id}/attestations",
        content=token.encode(),
        headers={**headers, "Content-Type": JOSE},
    )


def _person() -> dict[str, Any]:
    person: dict[str, Any] = json.loads(json.dumps(example("yinzhengtong")["persons"][0]))
    return person


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_rotation_add_both_verify_revoke_old(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("yinzhengtong")
    registered = ATTESTERS[bank["Authorization"]]
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    with Session(engine, expire_on_commit=False) as session:
        (first,) = clients.active_attestation_keys(session, registered.client_id)
    old = Attester(registered.client_id, registered.key, first.keyid)

    # One active key: a kid-less token (clients from before rotation) still verifies.
    assert _post(app_client, bank, app_id, registered.token(app_id, _person())).status_code == 201

    signer = new_key("ecdsa-p256-sha256")
    with Session(engine, expire_on_commit=False) as session:
        added = clients.add_key(
            session,
            old.client_id,
            clients.KeySpec(public_pem(signer), f"{old.client_id}-att-2026"),
            "attestation",
            by="registrar-wang",
        )
    new = Attester(old.client_id, signer, added.keyid)

    # Both verify while the identity systems move over.
    assert _post(app_client, bank, app_id, old.token(app_id, _person())).status_code == 201
    assert _post(app_client, bank, app_id, new.token(app_id, _person())).status_code == 201
    # Two active keys: the token must say which.
    counts = row_counts(engine)
    _refused(
        _post(app_client, bank, app_id, registered.token(app_id, _person())),
        422,
        "attestation_kid_required",
    )
    # A kid naming the other key does not let the signature pass.
    mislabelled = Attester(old.client_id, old.key, new.kid)
    _refused(
        _post(app_client, bank, app_id, mislabelled.token(app_id, _person())),
        422,
        "attestation_algorithm_refused",  # the named key is P-256, the token EdDSA
    )

    assert row_counts(engine) == counts  # refusals change nothing
    with Session(engine) as session:
        clients.revoke_key(session, old.client_id, first.keyid, by="registrar-li")
    counts = row_counts(engine)
    _refused(
        _post(app_client, bank, app_id, old.token(app_id, _person())),
        422,
        "attestation_key_revoked",
    )
    assert row_counts(engine) == counts  # refusals change nothing
    assert _post(app_client, bank, app_id, new.token(app_id, _person())).status_code == 201
    # The only active key again: kid-less tokens signed with it verify.
    kidless = Attester(old.client_id, signer)
    assert _post(app_client, bank, app_id, kidless.token(app_id, _person())).status_code == 201
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"

    with Session(engine) as session:
        used = session.exec(
            select(IdentityAttestation.keyid)
            .where(IdentityAttestation.application_id == app_id)
            .order_by(col(IdentityAttestation.received_at))
        ).all()
        events = session.exec(
            select(AdminEvent)
            .where(AdminEvent.target == f"client:{old.client_id}")
            .order_by(col(AdminEvent.id))
        ).all()
    assert used == [first.keyid, first.keyid, added.keyid, added.keyid, added.keyid]
    assert [(e.action, e.actor, e.detail.get("keyid")) for e in events[1:]] == [
        ("client.key_add", "registrar-wang", added.keyid),
        ("client.key_revoke", "registrar-li", first.keyid),
    ]


def test_unknown_kid_and_another_clients_key(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank, other = api_client_for("yinzhengtong"), api_client_for("paris")
    mine, theirs = ATTESTERS[bank["Authorization"]], ATTESTERS[other["Authorization"]]
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    with Session(engine, expire_on_commit=False) as session:
        (their_key,) = clients.active_attestation_keys(session, theirs.client_id)
        # A request-signing key (of the other client: it would end this one's bearer token).
        request_key = clients.add_key(
            session, theirs.client_id, clients.KeySpec(public_pem(new_key())), by="tests"
        )
    for kid in ("no-such-key", their_key.keyid, request_key.keyid):
        token = Attester(mine.client_id, mine.key, kid).token(app_id, _person())
        _refused(_post(app_client, bank, app_id, token), 422, "attestation_key_unknown")
    malformed = Attester(mine.client_id, mine.key, "x" * 201)
    _refused(
        _post(app_client, bank, app_id, malformed.token(app_id, _person())),
        422,
        "attestation_malformed",
    )
