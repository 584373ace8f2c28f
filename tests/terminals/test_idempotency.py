"""Idempotency-Key: a retry gets the first answer, never a second company; races included."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from reportlab.pdfgen import canvas
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from registration.db import utcnow
from registration.domain.application import ApplicationPayload
from registration.domain.workflow import Role
from registration.errors import Conflict
from registration.http import idempotency
from registration.models import Application, ApplicationEvent, IdempotencyRecord
from registration.principal import Principal
from registration.services import applications
from tests.api.helpers import act, create
from tests.conftest import example, is_postgres, row_counts
from tests.terminals.conftest import MakeTerminal
from tests.terminals.support import ATTESTERS

Headers = dict[str, str]


def _post(client: TestClient, headers: Headers, key: str, body: Any) -> httpx.Response:
    return client.post(
        "/api/v1/applications", json=body, headers={**headers, "Idempotency-Key": key}
    )


def _applications(engine: Engine) -> int:
    return row_counts(engine)["application"]


def test_a_retry_gets_the_stored_response(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    first = _post(app_client, bank, "create-1", example("paris"))
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers

    # Re-serialized (other key order, other spacing): still the same request.
    body = json.dumps(dict(reversed(list(example("paris").items()))), indent=2).encode()
    retry = app_client.post(
        "/api/v1/applications",
        content=body,
        headers={**bank, "Idempotency-Key": "create-1", "Content-Type": "application/json"},
    )
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["content-type"] == "application/json"
    assert _applications(engine) == 1


def test_the_same_key_for_another_request_is_a_422(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    assert _post(app_client, bank, "k", example("paris")).status_code == 201
    counts = row_counts(engine)
    other = example("paris")
    other["company"]["domicile"] = "广东省东莞市东城街道东纵大道2号"
    reused = _post(app_client, bank, "k", other)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert row_counts(engine) == counts
    # Another path with the same key is another request too.
    refused = app_client.post(
        "/api/v1/names/reservations",
        json={"name": "东莞市青松咨询有限公司"},
        headers={**bank, "Idempotency-Key": "k"},
    )
    assert refused.json()["code"] == "idempotency_key_reused"


def test_refusals_are_stored_and_replayed_too(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    body = example("paris")
    body["company"]["registered_capital"]["currency"] = "CNY"
    first = _post(app_client, bank, "bad-1", body)
    assert first.status_code == 422
    retry = _post(app_client, bank, "bad-1", body)
    assert retry.status_code == 422
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert retry.headers["content-type"] == "application/problem+json"


def test_keys_are_scoped_per_client(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    first, second = api_client_for("paris"), api_client_for("paris")
    a = _post(app_client, first, "shared", example("paris"))
    body = example("paris")
    body["company"]["name"]["zh"] = "东莞市塞纳河食品科技有限公司"
    b = _post(app_client, second, "shared", body)
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]


def _claim_elsewhere(
    app_client: TestClient, engine: Engine, bank: Headers, key: str, at: datetime
) -> None:
    """Another process claims `key` for exactly the request `_post(..., key, paris)` sends."""
    body = app_client.build_request("POST", "/x", json=example("paris")).read()
    with Session(engine) as session:
        idempotency.claim(
            session,
            principal=f"client:{ATTESTERS[bank['Authorization']].client_id}",
            key=key,
            fingerprint=idempotency.request_hash(
                "POST", "/api/v1/applications", "application/json", body
            ),
            method="POST",
            path="/api/v1/applications",
            now=at,
        )


def test_a_running_request_answers_409_with_retry_after(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    _claim_elsewhere(app_client, engine, bank, "busy", utcnow())
    counts = row_counts(engine)
    busy = _post(app_client, bank, "busy", example("paris"))
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_in_progress"
    assert busy.headers["retry-after"] == "1"
    assert row_counts(engine) == counts


def test_a_claim_abandoned_by_a_crashed_process_is_taken_over(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    # Claimed three minutes ago by a process that died before committing anything.
    _claim_elsewhere(app_client, engine, bank, "crash", utcnow() - timedelta(minutes=3))
    taken_over = _post(app_client, bank, "crash", example("paris"))
    assert taken_over.status_code == 201
    assert "idempotent-replayed" not in taken_over.headers
    assert _applications(engine) == 1
    assert _post(app_client, bank, "crash", example("paris")).headers["idempotent-replayed"]


def test_a_committed_request_without_stored_response_is_never_run_twice(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    _post(app_client, bank, "lost", example("paris"))
    with Session(engine) as session:  # crashed between the commit and storing the response
        session.execute(
            update(IdempotencyRecord).values(
                state="committed", locked_until=utcnow() - timedelta(seconds=1)
            )
        )
        session.commit()
    counts = row_counts(engine)
    retry = _post(app_client, bank, "lost", example("paris"))
    assert retry.status_code == 409
    assert retry.json()["code"] == "idempotency_response_lost"
    assert row_counts(engine) == counts


def test_a_request_that_lost_its_claim_cannot_commit(engine: Engine) -> None:
    from registration.services import accounts

    with Session(engine) as session:
        accounts.add_client(session, "bank", "paris", "Bank")
    bank = Principal(kind="client", subject="bank", role=Role.TERMINAL, channel="paris")
    with Session(engine) as session:
        claim = idempotency.claim(
            session,
            principal="client:bank",
            key="slow",
            fingerprint="f" * 64,
            method="POST",
            path="/api/v1/applications",
            now=utcnow(),
        )
    with Session(engine) as session:  # its lease ran out and a retry took over
        session.execute(update(IdempotencyRecord).values(claim_token="someone-else"))
        session.commit()
    with Session(engine) as session:
        idempotency.bind_to_session(session, claim)
        payload = ApplicationPayload.model_validate(example("paris"))
        with pytest.raises(Conflict) as refused:
            applications.create_application(session, bank, payload, "slow")
        assert refused.value.code == "idempotency_claim_lost"
        session.rollback()
    assert row_counts(engine)["application"] == 0


def test_server_errors_are_not_stored(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bank = api_client_for("paris")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr(applications, "create_application", broken)
        failed = _post(app_client, bank, "5xx", example("paris"))
    assert failed.status_code == 500
    with Session(engine) as session:
        assert session.exec(select(IdempotencyRecord)).first() is None
    retry = _post(app_client, bank, "5xx", example("paris"))
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers


def test_workflow_actions_attestations_documents_and_reservations_are_idempotent(
    app_client: TestClient, engine: Engine, make_terminal: MakeTerminal
) -> None:
    terminal = make_terminal("paris")
    key = {"Idempotency-Key": "reserve-1"}
    reserve = {"name": "东莞市翠柏食品科技有限公司"}
    first = terminal.request("POST", "/api/v1/names/reservations", json_body=reserve, headers=key)
    again = terminal.request("POST", "/api/v1/names/reservations", json_body=reserve, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert row_counts(engine)["company_name"] == 1

    app_id = terminal.create(example("paris"))["id"]
    pdf = io.BytesIO()
    page = canvas.Canvas(pdf)
    page.drawString(72, 720, "Statuts")
    page.save()
    uploads = [
        # httpx draws a new random multipart boundary each time: the bytes differ, the
        # request does not.
        terminal.request(
            "POST",
            f"/api/v1/applications/{app_id}/documents",
            files={"file": ("statuts.pdf", pdf.getvalue(), "application/pdf")},
            data={"kind": "articles_of_association"},
            headers={"Idempotency-Key": "upload-1"},
        )
        for _ in range(2)
    ]
    assert [u.status_code for u in uploads] == [201, 201]
    assert uploads[1].headers["idempotent-replayed"] == "true"
    assert row_counts(engine)["application_document"] == 1

    person = example("paris")["persons"][0]
    token = terminal.attester.token(app_id, person).encode()
    attest = [
        terminal.request(
            "POST",
            f"/api/v1/applications/{app_id}/attestations",
            content=token,
            headers={"Content-Type": "application/jose", "Idempotency-Key": "attest-1"},
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in attest] == [201, 201]
    assert attest[1].headers["idempotent-replayed"] == "true"

    submits = [
        terminal.request(
            "POST",
            f"/api/v1/applications/{app_id}/submit",
            headers={"Idempotency-Key": "submit-1"},
        )
        for _ in range(2)
    ]
    assert [s.status_code for s in submits] == [200, 200]
    assert submits[1].headers["idempotent-replayed"] == "true"
    with Session(engine) as session:
        actions = [
            e.action
            for e in session.exec(
                select(ApplicationEvent).where(ApplicationEvent.application_id == app_id)
            )
        ]
    assert actions.count("submit") == 1


def test_officer_actions_are_scoped_per_officer(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    front = officer(Role.FRONT_DESK)
    accept = f"/api/v1/applications/{app_id}/accept"
    first = app_client.post(accept, headers={**front, "Idempotency-Key": "acc"})
    retry = app_client.post(accept, headers={**front, "Idempotency-Key": "acc"})
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers["idempotent-replayed"] == "true"
    # Without the key the second accept is what it is: not allowed any more.
    assert app_client.post(accept, headers=front).status_code == 409


THREADS = 8


def test_concurrent_duplicates_create_exactly_one_application(
    app_client: TestClient, engine: Engine, make_terminal: MakeTerminal
) -> None:
    """The race of the issue: N retries of one create arrive at once (most telling on
    PostgreSQL, where the requests really run in parallel)."""
    terminal = make_terminal("yinzhengtong")
    barrier = threading.Barrier(THREADS)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        response = terminal.request(
            "POST",
            "/api/v1/applications",
            json_body=example("yinzhengtong"),
            headers={"Idempotency-Key": "race"},
        )
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(r.status_code for r in responses)
    assert len(responses) == THREADS
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    originals = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    assert len(originals) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_in_progress"
        elif response is not originals[0]:
            assert response.json() == originals[0].json()
    with Session(engine) as session:
        assert len(list(session.exec(select(Application)))) == 1
    if is_postgres():
        assert statuses.count(409) + statuses.count(201) == THREADS


# --- bodies labelled JSON that nest too deeply to parse: compared by bytes, never a 500 -----

_DEEP = b"[" * 12000 + b"]" * 12000


@pytest.mark.parametrize("content_type", ["application/json", "application/jose"])
def test_a_deeply_nested_body_is_fingerprinted_by_its_bytes(content_type: str) -> None:
    deep = idempotency.request_hash("POST", "/x", content_type, _DEEP)
    assert deep == idempotency.request_hash("POST", "/x", "application/octet-stream", _DEEP)
    assert deep != idempotency.request_hash("POST", "/x", content_type, _DEEP + b" ")
    # Within the bound, still by value.
    shallow = b"[" * 32 + b"]" * 32
    assert idempotency.request_hash(
        "POST", "/x", content_type, shallow
    ) == idempotency.request_hash("POST", "/x", content_type, shallow.replace(b"[]", b"[ ]"))


def test_a_deeply_nested_json_body_with_a_key_is_a_4xx(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    counts = row_counts(engine)
    created = app_client.post(
        "/api/v1/applications",
        content=_DEEP,
        headers={**bank, "Idempotency-Key": "deep-1", "Content-Type": "application/json"},
    )
    assert 400 <= created.status_code < 500, created.text

    app_id = create(app_client, bank, "paris")["id"]
    for attempt in range(2):  # the refusal is stored, and replayed
        attested = app_client.post(
            f"/api/v1/applications/{app_id}/attestations",
            content=_DEEP[:6000] + _DEEP[-6000:],
            headers={**bank, "Idempotency-Key": "deep-2", "Content-Type": "application/jose"},
        )
        assert attested.status_code == 422, attested.text
        assert attested.json()["code"] == "attestation_malformed"
        assert ("idempotent-replayed" in attested.headers) == (attempt == 1)
    assert row_counts(engine)["identity_attestation"] == counts["identity_attestation"]


def test_a_create_whose_response_was_lost_after_commit_is_replayed(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 15: the create committed, then reading it back failed (a dropped connection, a
    bug): the client got 500. The retry must answer the create — not 409 for the lease, not
    `idempotency_response_lost`, not a second application."""
    from registration.api import applications as api

    bank = api_client_for("paris")

    def lost(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection terminated while reading the application back")

    with monkeypatch.context() as patch:
        patch.setattr(api, "_out", lost)
        failed = _post(app_client, bank, "lost-after-commit", example("paris"))
    assert failed.status_code == 500
    assert _applications(engine) == 1
    with Session(engine) as session:
        record = session.exec(select(IdempotencyRecord)).one()
        assert record.state == "done"  # stored in the create's own commit
        assert record.response_status == 201
    retry = _post(app_client, bank, "lost-after-commit", example("paris"))
    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    with Session(engine) as session:
        created = session.exec(select(Application)).one()
    assert retry.json()["id"] == created.id
    assert retry.headers["location"] == f"/api/v1/applications/{created.id}"
    assert retry.json()["tracking_code"]  # the receipt can still be printed
    assert _applications(engine) == 1


def test_a_normal_create_replays_the_bytes_it_sent(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    first = _post(app_client, bank, "same-bytes", example("paris"))
    again = _post(app_client, bank, "same-bytes", example("paris"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
