"""RFC 9421 request authentication through the app: each refusal is a 401 with its own code
and changes nothing; a valid signature from an independent implementation is accepted."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from reportlab.pdfgen import canvas
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from registration.db import utcnow
from registration.domain.workflow import Role
from registration.http.signatures import DatabaseNonceStore, purge_expired_nonces
from registration.models import SignatureNonce
from registration.services import clients
from tests.conftest import example, row_counts
from tests.terminals.conftest import MakeTerminal, Terminal
from tests.terminals.support import ATTESTERS, new_key, public_pem

Headers = dict[str, str]


def _refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert "content-digest" in response.headers["accept-signature"]


@pytest.mark.parametrize("alg", ["ed25519", "ecdsa-p256-sha256"])
def test_signed_requests_are_the_terminals_credentials(
    make_terminal: MakeTerminal, alg: str
) -> None:
    terminal = make_terminal("yinzhengtong", alg)
    created = terminal.request("POST", "/api/v1/applications", json_body=example("yinzhengtong"))
    assert created.status_code == 201, created.text
    assert created.json()["client_id"] == terminal.client_id
    app_id = created.json()["id"]
    fetched = terminal.request("GET", f"/api/v1/applications/{app_id}?view=full")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["data"] == example("yinzhengtong")


def _app_count(engine: Engine) -> int:
    return row_counts(engine)["application"]


REFUSALS: dict[str, Callable[[Terminal], httpx.Response]] = {
    "signature_invalid (wrong key)": lambda t: t.request(
        "POST", "/api/v1/applications", json_body=example("yinzhengtong"), key=new_key()
    ),
    "signature_invalid (tampered signature)": lambda t: t.request(
        "POST",
        "/api/v1/applications",
        json_body=example("yinzhengtong"),
        tamper=lambda r: r.headers.__setitem__(
            "Signature", "sig1=:" + base64.b64encode(b"\0" * 64).decode() + ":"
        ),
    ),
    "signature_invalid (method changed)": lambda t: t.request(
        "PUT",
        "/api/v1/applications",
        json_body=example("yinzhengtong"),
        tamper=lambda r: setattr(r, "method", "POST"),
    ),
    "signature_invalid (signed for another host)": lambda t: _signed_for(
        t, "https://staging.bizreg.example"
    ).request("POST", "/api/v1/applications", json_body=example("yinzhengtong")),
    "signature_invalid (input without signature)": lambda t: t.request(
        "POST",
        "/api/v1/applications",
        json_body=example("yinzhengtong"),
        tamper=lambda r: r.headers.pop("Signature"),
    ),
    "digest_mismatch": lambda t: t.request(
        "POST",
        "/api/v1/applications",
        json_body=example("yinzhengtong"),
        tamper=lambda r: _swap_body(r, b'{"channel": "yinzhengtong"}'),
    ),
    "stale_signature": lambda t: t.request(
        "POST",
        "/api/v1/applications",
        json_body=example("yinzhengtong"),
        created=datetime.now(UTC) - timedelta(seconds=120),
    ),
    "stale_signature (from the future)": lambda t: t.request(
        "POST",
        "/api/v1/applications",
        json_body=example("yinzhengtong"),
        created=datetime.now(UTC) + timedelta(seconds=90),
    ),
    "unknown_key": lambda t: t.request(
        "POST", "/api/v1/applications", json_body=example("yinzhengtong"), keyid="nobody-k1"
    ),
}


def _swap_body(request: httpx.Request, body: bytes) -> None:
    request._content = body  # the signed Content-Digest stays: the body no longer matches it
    request.stream = httpx.ByteStream(body)
    request.headers["Content-Length"] = str(len(body))


def _signed_for(terminal: Terminal, base_url: str) -> Terminal:
    """The same terminal signing for another deployment (the TestClient ignores the host)."""
    return Terminal(
        terminal.client_id, terminal.keyid, terminal.key, terminal.attester, terminal.http, base_url
    )


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_refusal_has_its_code_and_changes_nothing(
    make_terminal: MakeTerminal, engine: Engine, case: str
) -> None:
    terminal = make_terminal()
    counts = row_counts(engine)
    response = REFUSALS[case](terminal)
    _refused(response, case.split(" ")[0])
    assert row_counts(engine) == counts  # not even a nonce is spent


def test_a_replayed_request_is_refused(make_terminal: MakeTerminal, engine: Engine) -> None:
    terminal = make_terminal()
    sent: list[httpx.Request] = []
    first = terminal.request(
        "POST", "/api/v1/applications", json_body=example("yinzhengtong"), tamper=sent.append
    )
    assert first.status_code == 201
    counts = row_counts(engine)
    replay = terminal.http.send(sent[0])
    _refused(replay, "replayed_nonce")
    assert row_counts(engine) == counts
    assert _app_count(engine) == 1


def test_a_nonce_is_spent_even_when_the_request_then_fails(
    make_terminal: MakeTerminal, engine: Engine
) -> None:
    terminal = make_terminal()
    body = example("yinzhengtong")
    body["company"]["registered_capital"]["currency"] = "EUR"
    sent: list[httpx.Request] = []
    refused = terminal.request("POST", "/api/v1/applications", json_body=body, tamper=sent.append)
    assert refused.status_code == 422
    _refused(terminal.http.send(sent[0]), "replayed_nonce")


def test_a_suspended_client_is_refused_until_resumed(
    make_terminal: MakeTerminal, engine: Engine
) -> None:
    terminal = make_terminal()
    with Session(engine, expire_on_commit=False) as session:
        clients.set_active(session, terminal.client_id, False, by="tests")
    counts = row_counts(engine)
    _refused(
        terminal.request("POST", "/api/v1/applications", json_body=example("yinzhengtong")),
        "client_suspended",
    )
    assert row_counts(engine) == counts
    with Session(engine, expire_on_commit=False) as session:
        clients.set_active(session, terminal.client_id, True, by="tests")
    resumed = terminal.request("POST", "/api/v1/applications", json_body=example("yinzhengtong"))
    assert resumed.status_code == 201


def test_key_rotation_by_keyid(make_terminal: MakeTerminal, engine: Engine) -> None:
    terminal = make_terminal()
    new = new_key("ecdsa-p256-sha256")
    with Session(engine, expire_on_commit=False) as session:
        added = clients.add_key(
            session, terminal.client_id, clients.KeySpec(public_pem(new), "rotated-k2"), by="tests"
        )
    assert added.alg == "ecdsa-p256-sha256"
    # Both keys work while the terminals move over ...
    assert terminal.request("GET", "/api/v1/queues/front-desk").json()["code"] == (
        "role_not_permitted"
    )
    assert (
        terminal.request("GET", "/api/v1/queues/front-desk", keyid="rotated-k2", key=new).json()[
            "code"
        ]
        == "role_not_permitted"
    )
    # ... then the old one is revoked and refused.
    with Session(engine, expire_on_commit=False) as session:
        clients.revoke_key(session, terminal.client_id, terminal.keyid, by="tests")
    _refused(terminal.request("GET", "/api/v1/queues/front-desk"), "unknown_key")


def test_a_keyed_client_must_sign_and_its_bearer_token_is_dead(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bearer = api_client_for("paris")
    assert app_client.post("/api/v1/applications", json=example("paris"), headers=bearer).is_success
    client_id = ATTESTERS[bearer["Authorization"]].client_id
    with Session(
        engine, expire_on_commit=False
    ) as session:  # the development client gets its first signing key
        clients.add_key(session, client_id, clients.KeySpec(public_pem(new_key())), by="tests")
    counts = row_counts(engine)
    refused = app_client.post("/api/v1/applications", json=example("paris"), headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"  # adding a key revoked its tokens
    assert row_counts(engine) == counts


def test_bearer_refused_for_a_client_with_keys_even_with_a_surviving_token(
    app_client: TestClient, engine: Engine
) -> None:
    from registration.services import accounts

    with Session(engine, expire_on_commit=False) as session:
        clients.register_client(
            session,
            "keyed",
            "paris",
            "Bank",
            request_keys=[clients.KeySpec(public_pem(new_key()))],
            by="tests",
        )
        token = accounts.issue_client_token(session, "keyed")  # e.g. restored from a backup
        session.commit()
    counts = row_counts(engine)
    response = app_client.post(
        "/api/v1/applications",
        json=example("paris"),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k"},
    )
    _refused(response, "signature_missing")
    assert row_counts(engine) == counts


def test_officers_keep_bearer_tokens(
    app_client: TestClient, officer: Callable[..., Headers]
) -> None:
    response = app_client.get("/api/v1/queues/front-desk", headers=officer(Role.FRONT_DESK))
    assert response.status_code == 200


def test_a_signed_multipart_upload_is_checked_against_the_raw_body(
    make_terminal: MakeTerminal,
) -> None:
    terminal = make_terminal("paris")
    app_id = terminal.create(example("paris"))["id"]
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Statuts")
    page.save()
    uploaded = terminal.request(
        "POST",
        f"/api/v1/applications/{app_id}/documents",
        files={"file": ("statuts.pdf", buffer.getvalue(), "application/pdf")},
        data={"kind": "articles_of_association"},
    )
    assert uploaded.status_code == 201, uploaded.text


def test_an_independent_implementation_signs_and_the_app_verifies(
    app_client: TestClient, engine: Engine, settings: object
) -> None:
    """`http-message-signatures` (not our code) signs a create; the app accepts it."""
    key = new_key("ed25519")
    with Session(engine, expire_on_commit=False) as session:
        clients.register_client(
            session,
            "interop",
            "yinzhengtong",
            "Bank",
            request_keys=[clients.KeySpec(public_pem(key), "interop-k1")],
            by="tests",
        )
    body = httpx.Request("POST", "http://x", json=example("yinzhengtong")).read()
    request = app_client.build_request(
        "POST",
        f"{app_client.base_url}/api/v1/applications",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={"interop-k1": key.public_key()}, private_keys={"interop-k1": key}
        ),
    ).sign(
        request,
        key_id="interop-k1",
        created=datetime.now(UTC).replace(microsecond=0),
        nonce="independent-nonce-1",
        # The service requires a body's Content-Type signed (MEANINGFUL_FIELDS).
        covered_component_ids=("@method", "@target-uri", "content-type"),
        body=body,
    )
    response = app_client.send(request)
    assert response.status_code == 201, response.text
    assert response.json()["client_id"] == "interop"


def test_nonces_are_kept_in_the_database_and_purged_after_their_window(
    make_terminal: MakeTerminal, engine: Engine
) -> None:
    terminal = make_terminal()
    assert terminal.request("GET", "/api/v1/queues/front-desk").status_code == 403
    with Session(engine, expire_on_commit=False) as session:
        nonce = session.exec(select(SignatureNonce)).one()
    assert nonce.keyid == terminal.keyid
    assert timedelta(seconds=30) < nonce.expires_at - utcnow() <= timedelta(seconds=61)

    later = nonce.expires_at + timedelta(seconds=1)
    with Session(engine) as session:
        store = DatabaseNonceStore(session)
        assert store.remember(nonce.keyid, nonce.nonce, later + timedelta(minutes=1)) is False
    assert purge_expired_nonces(engine, later) == 1
    with Session(engine, expire_on_commit=False) as session:
        assert session.exec(select(func.count()).select_from(SignatureNonce)).one() == 0


def test_an_expired_nonce_may_be_spent_again(engine: Engine) -> None:
    """A nonce whose window has passed is overwritten (its old request would be refused as
    stale anyway); one still inside its window is refused."""
    with Session(engine) as session:
        session.add(
            SignatureNonce(keyid="old-key", nonce="n-1", expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    renewed = utcnow() + timedelta(seconds=60)
    with Session(engine) as session:
        assert DatabaseNonceStore(session).remember("old-key", "n-1", renewed) is True
        assert DatabaseNonceStore(session).remember("old-key", "n-1", renewed) is False
        session.commit()
    with Session(engine) as session:
        row = session.exec(select(SignatureNonce).where(SignatureNonce.nonce == "n-1")).one()
        assert row.expires_at == renewed


def test_the_nonce_store_settles_concurrent_duplicates(engine: Engine) -> None:
    import threading

    expires = utcnow() + timedelta(seconds=60)
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def remember() -> None:
        with Session(engine) as session:
            barrier.wait()
            fresh = DatabaseNonceStore(session).remember("race-key", "race-nonce", expires)
            session.commit()
        with lock:
            results.append(fresh)

    threads = [threading.Thread(target=remember) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_unsigned_requests_get_the_right_advice(make_terminal: MakeTerminal) -> None:
    """Issue 15: no credentials at all → both schemes offered; a request that looks like a
    terminal's (Content-Digest or Idempotency-Key) but is unsigned → signature_missing."""
    terminal = make_terminal()
    anonymous = terminal.http.get("/api/v1/applications/x")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert "idempotency-key" in anonymous.headers["accept-signature"]
    assert anonymous.headers["www-authenticate"] == "Bearer"
    unsigned = terminal.http.post(
        "/api/v1/applications",
        content=b"{}",
        headers={"Content-Type": "application/json", "Idempotency-Key": "k-unsigned-1"},
    )
    assert unsigned.status_code == 401
    assert unsigned.json()["code"] == "signature_missing"
    assert "content-type" in unsigned.headers["accept-signature"]


def test_an_idempotency_key_changed_in_flight_is_refused(make_terminal: MakeTerminal) -> None:
    terminal = make_terminal()

    def change_key(request: httpx.Request) -> None:
        request.headers["Idempotency-Key"] = "k-changed-in-flight"

    response = terminal.request(
        "POST",
        "/api/v1/applications",
        json_body=example("yinzhengtong"),
        headers={"Idempotency-Key": "k-original"},
        tamper=change_key,
    )
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
