"""Approved applications become signed licences exactly once, whatever crashes or races."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from registration.app import create_app
from registration.domain.workflow import Role, TransitionNotAllowed
from registration.errors import ConcurrentModification
from registration.issuance.authority import LicenceAuthority
from registration.models import Application, IssuanceJob, Licence, UsccAllocation
from registration.services import feed
from registration.services import issuance as service
from registration.services.uscc import allocate_uscc
from registration.settings import Settings
from templates import LicenceContent, read_licence_data
from tests.api.helpers import act, create
from tests.conftest import example, is_postgres, unique_name

Headers = dict[str, str]


class WorkerCrash(RuntimeError):
    pass


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _approved(client: TestClient, headers: Headers, channel: str = "yinzhengtong") -> str:
    app_id = create(client, headers, channel)["id"]
    assert act(client, headers, app_id, "submit").json()["status"] == "approved"
    return app_id


def test_instant_path_ends_with_a_signed_licence(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> None:
    bank = api_client_for("yinzhengtong")
    app_id = _approved(app_client, bank)
    assert service.run_once(engine, authority) == app_id

    application = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()
    assert application["status"] == "issued"
    link = application["licence"]
    assert link["status"] == "active"
    uscc = link["uscc"]
    assert uscc.startswith("91441900MA")

    public = app_client.get(f"/api/v1/licences/{uscc}").json()  # anonymous
    assert (public["status"], public["version"], public["company_name_zh"]) == (
        "active",
        1,
        example("yinzhengtong")["company"]["name"]["zh"],
    )
    pdf = app_client.get(link["pdf_url"], headers=bank)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(pdf.content).digest()).decode()
    assert pdf.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert hashlib.sha256(pdf.content).hexdigest() == public["sha256"]
    data = read_licence_data(pdf.content)
    assert data["uscc"] == uscc
    assert b"/ETSI.CAdES.detached" in pdf.content

    events = app_client.get(f"/api/v1/applications/{app_id}/events", headers=bank).json()
    assert [(e["action"], e["actor"]) for e in events][-1] == ("issue", "system")


def test_licence_pdf_is_only_for_the_submitter_and_officers(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    from registration.domain.workflow import Role

    bank = api_client_for("yinzhengtong")
    app_id = _approved(app_client, bank)
    service.run_once(engine, authority)
    link = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
    assert app_client.get(link["pdf_url"]).status_code == 401
    other = api_client_for("yinzhengtong")
    assert app_client.get(link["pdf_url"], headers=other).status_code == 404
    assert app_client.get(link["pdf_url"], headers=officer(Role.REGULATOR)).status_code == 200
    assert app_client.get("/api/v1/licences/91441900MA0000000X").status_code == 404


def test_a_crash_before_commit_leaves_nothing_and_the_retry_issues_once(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("yinzhengtong")
    app_id = _approved(app_client, bank)

    def crash() -> None:
        raise WorkerCrash("power cut after signing, before commit")

    with pytest.raises(WorkerCrash):
        service.run_once(engine, authority, before_commit=crash)
    assert _count(engine, Licence) == 0
    with Session(engine) as session:
        assert session.get(Application, app_id).status == "approved"  # type: ignore[union-attr]
        job = session.get(IssuanceJob, app_id)
        assert job is not None
        assert (job.status, job.attempts) == ("pending", 1)
        assert "power cut" in (job.last_error or "")
        job.not_before = job.created_at  # skip the back-off for the test
        session.add(job)
        session.commit()

    listed = app_client.get("/api/v1/admin/issuance-jobs", headers=officer(Role.REGISTRAR_ADMIN))
    assert [(j["application_id"], j["attempts"]) for j in listed.json()] == [(app_id, 1)]
    assert "power cut" in listed.json()[0]["last_error"]
    assert app_client.get("/api/v1/admin/issuance-jobs", headers=bank).status_code == 403

    assert service.run_once(engine, authority) == app_id
    assert service.run_once(engine, authority) is None
    assert _count(engine, Licence) == 1
    with Session(engine) as session:
        licence = session.exec(select(Licence)).one()
        allocated = session.exec(
            select(UsccAllocation).where(UsccAllocation.uscc == licence.uscc)
        ).one()
    assert allocated.application_id == app_id


def test_a_crash_after_commit_is_not_issued_again(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> None:
    bank = api_client_for("yinzhengtong")
    app_id = _approved(app_client, bank)
    with Session(engine, expire_on_commit=False) as session:
        job = service.claim_next(session)
        assert job is not None
        service.issue(session, job, authority)
        session.commit()
        # The worker dies here, before it could report or forget the job.
    assert service.run_once(engine, authority) is None
    assert _count(engine, Licence) == 1
    with Session(engine) as session:
        assert session.get(Application, app_id).status == "issued"  # type: ignore[union-attr]


def test_issuing_the_same_application_twice_cannot_commit(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> None:
    """Two workers that both got hold of one job (SQLite has no SKIP LOCKED): one commit wins."""
    bank = api_client_for("yinzhengtong")
    _approved(app_client, bank)
    sessions = [Session(engine, expire_on_commit=False) for _ in range(2)]
    jobs = [service.claim_next(s) for s in sessions[:1]]
    assert jobs[0] is not None
    service.issue(sessions[0], jobs[0], authority)
    sessions[0].commit()
    second_job = sessions[1].get(IssuanceJob, jobs[0].application_id)
    assert second_job is not None
    second_job.status = "pending"  # a stale view of the job, as a racing worker would have

    def second_worker() -> None:
        service.issue(sessions[1], second_job, authority)
        sessions[1].commit()

    with pytest.raises((TransitionNotAllowed, ConcurrentModification, IntegrityError)):
        second_worker()
    for session in sessions:
        session.close()
    assert _count(engine, Licence) == 1


def _approved_many(client: TestClient, headers: Headers, count: int) -> list[str]:
    ids = []
    for i in range(count):
        body = example("yinzhengtong")
        body["company"]["name"]["zh"] = unique_name(i, "贸易")
        app_id = client.post("/api/v1/applications", json=body, headers=headers).json()["id"]
        assert act(client, headers, app_id, "submit").json()["status"] == "approved"
        ids.append(app_id)
    return ids


@pytest.mark.parametrize("batch", [1, 3])
def test_concurrent_workers_issue_each_licence_once(
    engine: Engine,
    authority: LicenceAuthority,
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    batch: int,
) -> None:
    bank = api_client_for("yinzhengtong")
    jobs = 8
    _approved_many(app_client, bank, jobs)

    def worker() -> None:
        while True:
            try:
                if not service.run_batch(engine, authority, batch):
                    return
            except Exception:
                continue

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    with Session(engine) as session:
        licences = list(session.exec(select(Licence)))
        statuses = [a.status for a in session.exec(select(Application))]
    assert len(licences) == jobs
    assert len({x.uscc for x in licences}) == jobs
    assert len({x.application_id for x in licences}) == jobs
    assert statuses == ["issued"] * jobs


def test_the_in_process_worker_issues_without_being_asked(
    settings: Settings,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> None:
    app = create_app(settings, engine, authority, issuance_worker=True)
    bank = api_client_for("hong_kong")
    with TestClient(app) as client:
        app_id = create(client, bank, "hong_kong")["id"]
        act(client, bank, app_id, "submit")
        deadline = time.monotonic() + 30
        status = ""
        while time.monotonic() < deadline:
            status = client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["status"]
            if status == "issued":
                break
            time.sleep(0.05)
    assert status == "issued"


def test_a_backlog_is_issued_in_batches_of_one_transaction_each(
    engine: Engine,
    authority: LicenceAuthority,
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
) -> None:
    bank = api_client_for("yinzhengtong")
    ids = _approved_many(app_client, bank, 5)
    with Session(engine) as session:
        # A code allocated before: SQLite's counter of the table exists from its first row.
        allocate_uscc(session, "441900", None)
        session.commit()
    commits: list[object] = []
    statements: list[str] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    def executed(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "commit", committed)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        first = service.run_batch(engine, authority, 3)
    finally:
        event.remove(engine, "commit", committed)
        event.remove(engine, "before_cursor_execute", executed)
    assert first == ids[:3]  # oldest first
    # The whole batch in one transaction; SQLite commits its lease of the jobs before.
    assert len(commits) == (1 if engine.dialect.name == "postgresql" else 2)
    # The feed's lock taken once for the batch, and its three events in one INSERT.
    feed_locks = [sql for sql in statements if "pg_advisory_xact_lock" in sql]
    assert len(feed_locks) == (1 if engine.dialect.name == "postgresql" else 0)
    # The batch's rows of a table go in one INSERT. On SQLite only where the row's key is
    # known before (SQLAlchemy inserts rows that need their autoincrement key back one by one
    # there), and its feed flushes at each event for the write lock.
    postgres = engine.dialect.name == "postgresql"
    tables = ["uscc_allocation", "licence", "mail_outbox"]
    tables += ["application_event", "feed_event"] if postgres else []
    for table in tables:
        inserts = [sql for sql in statements if sql.startswith(f"INSERT INTO {table} ")]
        assert len(inserts) == 1, (table, inserts)
    if postgres:  # and its notifications in one statement
        assert len([sql for sql in statements if "pg_notify" in sql]) == 1
    assert service.run_batch(engine, authority, 3) == ids[3:]
    assert service.run_batch(engine, authority, 3) == []
    with Session(engine) as session:
        licences = list(session.exec(select(Licence)))
        assert sorted(x.application_id for x in licences) == sorted(ids)
        assert len({x.uscc for x in licences}) == 5
        statuses = {a.id: a.status for a in session.exec(select(Application))}
    assert all(statuses[app_id] == "issued" for app_id in ids)
    for licence in licences:
        assert read_licence_data(licence.pdf)["uscc"] == licence.uscc


def test_a_failing_licence_does_not_hold_back_the_rest_of_its_batch(
    engine: Engine,
    authority: LicenceAuthority,
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bank = api_client_for("yinzhengtong")
    ids = _approved_many(app_client, bank, 3)
    with Session(engine) as session:
        doomed = session.get(Application, ids[1])
        assert doomed is not None
        doomed_name = doomed.company_name_zh
    issue_pdf = authority.issue_pdf

    def failing_for_one(content: LicenceContent) -> bytes:
        if content.name.zh == doomed_name:
            raise RuntimeError("TSA refused this one")
        return issue_pdf(content)

    monkeypatch.setattr(authority, "issue_pdf", failing_for_one)
    with pytest.raises(RuntimeError, match="TSA refused"):
        service.run_batch(engine, authority, 3)
    with Session(engine) as session:
        issued = sorted(x.application_id for x in session.exec(select(Licence)))
        job = session.get(IssuanceJob, ids[1])
    assert issued == sorted([ids[0], ids[2]])
    assert job is not None
    assert (job.status, job.attempts) == ("pending", 1)
    assert "TSA refused" in (job.last_error or "")
    # Backed off: not due again at once.
    assert service.run_batch(engine, authority, 3) == []


def test_an_interrupted_batch_gives_all_its_jobs_back(
    engine: Engine,
    authority: LicenceAuthority,
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
) -> None:
    bank = api_client_for("yinzhengtong")
    ids = _approved_many(app_client, bank, 3)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        service.run_batch(engine, authority, 3, before_commit=interrupted)
    assert _count(engine, Licence) == 0
    # Due again at once (SQLite's leases undone), not after `LEASE`.
    assert service.run_batch(engine, authority, 3) == ids
    assert _count(engine, Licence) == 3


@pytest.mark.skipif(not is_postgres(), reason="the feed's lock is PostgreSQL's advisory lock")
def test_a_batch_does_not_hold_the_feed_lock_while_it_signs(
    engine: Engine,
    authority: LicenceAuthority,
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Publishing to the feed locks it until the commit: a batch that took the lock at its
    first licence made every other worker (and every officer's revocation) wait while it
    signed the rest."""
    bank = api_client_for("yinzhengtong")
    _approved_many(app_client, bank, 3)
    issue_pdf = authority.issue_pdf
    free_while_signing: list[bool] = []

    def signing(content: LicenceContent) -> bytes:
        with engine.connect() as other:
            free_while_signing.append(
                other.execute(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": feed._FEED_LOCK}
                ).scalar_one()
            )
            other.rollback()
        return issue_pdf(content)

    monkeypatch.setattr(authority, "issue_pdf", signing)
    assert len(service.run_batch(engine, authority, 3)) == 3
    assert free_while_signing == [True, True, True]
