"""The change feed: order, cursors, resume without gap or duplicate, long-poll, NDJSON stream,
retention (410) and cursors never issued (400)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session

from registration.db import utcnow
from registration.models import FeedEvent
from registration.services import feed


def _publish(engine: Engine, n: int, uscc: str = "91441900MA00000001") -> None:
    with Session(engine) as session:
        for i in range(n):
            feed.publish(session, "licence.issued", uscc, {"i": i})
            session.commit()


def test_pages_in_order_and_resume_from_a_cursor(app_client: TestClient, engine: Engine) -> None:
    _publish(engine, 7)
    first = app_client.get("/api/v1/feed", params={"limit": 3}).json()
    assert [x["data"]["i"] for x in first["events"]] == [0, 1, 2]
    rest = app_client.get("/api/v1/feed", params={"after": first["next_cursor"]}).json()
    assert [x["data"]["i"] for x in rest["events"]] == [3, 4, 5, 6]
    idle = app_client.get("/api/v1/feed", params={"after": rest["next_cursor"]}).json()
    assert idle == {"events": [], "next_cursor": rest["next_cursor"]}


def test_long_poll_answers_when_an_event_arrives(app_client: TestClient, engine: Engine) -> None:
    _publish(engine, 1)
    cursor = app_client.get("/api/v1/feed").json()["next_cursor"]
    timer = threading.Timer(0.5, _publish, (engine, 1))
    timer.start()
    answer = app_client.get("/api/v1/feed", params={"after": cursor, "wait": 10}).json()
    timer.join()
    assert [x["data"]["i"] for x in answer["events"]] == [0]
    assert answer["next_cursor"] != cursor


def test_ndjson_stream_carries_every_event_with_its_cursor(
    app_client: TestClient, engine: Engine
) -> None:
    _publish(engine, 5)
    app_client.app.state.settings.feed_stream_seconds = 1  # type: ignore[attr-defined]
    with app_client.stream(
        "GET", "/api/v1/feed", params={"limit": 2}, headers={"Accept": "application/x-ndjson"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(x) for x in response.iter_lines() if x.strip()]
    assert [x["data"]["i"] for x in lines] == [0, 1, 2, 3, 4]
    assert [int(x["cursor"]) for x in lines] == sorted(int(x["cursor"]) for x in lines)


@pytest.mark.parametrize("cursor", ["-1", "abc", "1e3", "99999999", "٣", "1" * 40, "' OR 1=1"])
def test_cursors_never_issued_are_400(app_client: TestClient, engine: Engine, cursor: str) -> None:
    _publish(engine, 2)
    for accept in ("application/json", "application/x-ndjson"):
        response = app_client.get(
            "/api/v1/feed", params={"after": cursor}, headers={"Accept": accept}
        )
        assert response.status_code in (400, 422), response.text
        assert response.json()["code"] in ("cursor_unknown", "validation_failed")


def test_a_cursor_older_than_the_retention_is_410_with_the_oldest_available(
    app_client: TestClient, engine: Engine
) -> None:
    _publish(engine, 4)
    events = app_client.get("/api/v1/feed").json()["events"]
    with Session(engine) as session:  # the first three are now 400 days old
        session.execute(
            update(FeedEvent)
            .where(FeedEvent.position <= int(events[2]["cursor"]))  # type: ignore[operator,arg-type]
            .values(at=utcnow() - timedelta(days=400))
        )
        session.commit()
    gone = app_client.get("/api/v1/feed", params={"after": events[0]["cursor"]})
    assert gone.status_code == 410
    assert gone.json()["code"] == "cursor_expired"
    assert gone.json()["oldest_cursor"] == events[2]["cursor"]
    kept = app_client.get("/api/v1/feed", params={"after": gone.json()["oldest_cursor"]}).json()
    assert [x["cursor"] for x in kept["events"]] == [events[3]["cursor"]]
    # From the beginning: what is kept.
    assert [x["cursor"] for x in app_client.get("/api/v1/feed").json()["events"]] == [
        events[3]["cursor"]
    ]


def test_a_position_is_never_visible_before_an_earlier_one_commits(engine: Engine) -> None:
    """The publisher that took position n holds the next one back until it commits: a reader
    can never pass n while n is still in flight (the sequence-gap trap)."""
    first = Session(engine)
    feed.publish(first, "licence.issued", "91441900MA00000001", {"who": "first"})
    later_done = threading.Event()

    def later() -> None:
        with Session(engine) as session:
            feed.publish(session, "licence.issued", "91441900MA00000002", {"who": "later"})
            session.commit()
        later_done.set()

    thread = threading.Thread(target=later)
    thread.start()
    try:
        time.sleep(0.5)
        with Session(engine) as reader:
            assert feed.read_after(reader, None, 10, timedelta(days=1)) == []
        assert not later_done.is_set()
    finally:
        first.commit()
        first.close()
        thread.join(timeout=10)
    with Session(engine) as reader:
        events = feed.read_after(reader, None, 10, timedelta(days=1))
    assert [x.data["who"] for x in events] == ["first", "later"]
