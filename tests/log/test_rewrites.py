"""The rewrites an outside auditor with database access would try (issue 14), each caught.

Naive rewrite (rows only): `bizreg audit verify` names the row and online verification answers
`registry_inconsistent`. Thorough rewrite (rows, then the log recomputed to match and the
checkpoints deleted so that the service signs the new history): the database now agrees with
itself, and the monitor, which kept the last checkpoint and the leaf hashes, names the leaves.
Runs on PostgreSQL under BIZREG_DATABASE_URL, as CI does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from registration.cli import main
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.models import LogCheckpoint, LogHead, LogLeaf
from registration.services import audit, checkpoints, ledger
from registration.services import issuance as service
from registration.settings import Settings
from registration.workers.checkpoints import CheckpointWorker
from tests.api.helpers import act, create
from tlog import leaf_hash
from tlog.monitor import MonitorState, check

Headers = dict[str, str]


@dataclass
class Issued:
    uscc: str
    application_id: str
    licence_id: str
    pdf: bytes


@pytest.fixture
def issued(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> Issued:
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    service.run_once(engine, authority)
    link = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
    pdf = app_client.get(link["pdf_url"], headers=bank).content
    with engine.connect() as connection:
        licence_id = connection.execute(
            text("SELECT id FROM licence WHERE uscc = :u"), {"u": link["uscc"]}
        ).scalar_one()
    return Issued(link["uscc"], app_id, licence_id, pdf)


def _sign(engine: Engine, settings: Settings) -> int | None:
    return CheckpointWorker(engine, settings).sign_once()


def _monitor(client: TestClient, state: MonitorState | None) -> tuple[MonitorState, list[str]]:
    def get(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, response.text
        return response.text

    result = check(get, state)
    return result.state, result.problems


def _verify(client: TestClient, pdf: bytes) -> dict[str, object]:
    response = client.post("/api/v1/verify", files={"file": ("l.pdf", pdf, "application/pdf")})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _sql(engine: Engine, *statements: str, **params: object) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def _ref(engine: Engine, query: str, **params: object) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text(query), params).scalar_one())


def _rewrite_log_to_match(engine: Engine) -> None:
    """The thorough forger: recompute every leaf from the rows as they now are (dropping the
    leaves of deleted rows, renumbering), delete the checkpoints, and let the service restart."""
    with Session(engine) as session:
        sources = {record.ref: record for _, record in audit._sources(session)}
        leaves = session.exec(select(LogLeaf).order_by(col(LogLeaf.idx))).all()
        kept = [leaf for leaf in leaves if leaf.ref in sources]
        for leaf in leaves:
            session.delete(leaf)
        session.flush()
        for index, leaf in enumerate(kept):
            body = sources[leaf.ref].body(leaf.salt or "")
            leaf.idx, leaf.body = index, body
            leaf.leaf_hash = leaf_hash(body.encode()).hex()
            session.add(LogLeaf(**leaf.model_dump()))
        head = session.get(LogHead, 1)
        assert head is not None
        head.size = len(kept)
        session.add(head)
        for row in session.exec(select(LogCheckpoint)):
            session.delete(row)
        session.commit()
    checkpoints._caches.clear()  # the service restarted: its trees are rebuilt from the rows


def _edit_approval(engine: Engine, issued: Issued) -> str:
    ref = "application_event:" + _ref(
        engine,
        "SELECT id FROM application_event WHERE application_id = :a AND action = 'approve'",
        a=issued.application_id,
    )
    _sql(
        engine,
        "UPDATE application_event SET actor = 'back-office-7', at = at - interval '1 day' "
        "WHERE id = :id"
        if engine.dialect.name == "postgresql"
        else "UPDATE application_event SET actor = 'back-office-7', "
        "at = datetime(at, '-1 day') WHERE id = :id",
        id=int(ref.split(":")[1]),
    )
    return ref


def _delete_accept(engine: Engine, issued: Issued) -> str:
    ref = "application_event:" + _ref(
        engine,
        "SELECT id FROM application_event WHERE application_id = :a AND action = 'accept'",
        a=issued.application_id,
    )
    _sql(engine, "DELETE FROM application_event WHERE id = :id", id=int(ref.split(":")[1]))
    return ref


def _unrevoke(engine: Engine, issued: Issued) -> str:
    ref = "licence_event:" + _ref(
        engine, "SELECT id FROM licence_event WHERE licence_id = :l", l=issued.licence_id
    )
    _sql(
        engine,
        "DELETE FROM licence_event WHERE licence_id = :l",
        "UPDATE licence SET status = 'active', status_reason = NULL, status_changed_at = NULL "
        "WHERE id = :l",
        l=issued.licence_id,
    )
    return ref


def _change_hash(engine: Engine, issued: Issued) -> str:
    _sql(engine, "UPDATE licence SET sha256 = :h WHERE id = :l", h="ab" * 32, l=issued.licence_id)
    return f"licence:{issued.licence_id}"


REWRITES = {
    "approval actor and time edited": (_edit_approval, "edited", False),
    "accept event deleted": (_delete_accept, "deleted", False),
    "revoked licence set back to active, its events deleted": (_unrevoke, "deleted", True),
    "licence.sha256 changed": (_change_hash, "edited", True),
}


@pytest.mark.parametrize("name", list(REWRITES))
def test_each_rewrite_is_named(
    name: str,
    app_client: TestClient,
    engine: Engine,
    settings: Settings,
    issued: Issued,
    officer: Callable[..., Headers],
    tmp_path: Path,
) -> None:
    rewrite, what, about_licence = REWRITES[name]
    if rewrite is _unrevoke:
        admin = officer(Role.REGISTRAR_ADMIN)
        revoked = app_client.post(
            f"/api/v1/licences/{issued.uscc}/revoke", json={"reason": "fraud"}, headers=admin
        )
        assert revoked.status_code == 200, revoked.text
    assert _sign(engine, settings) is not None
    with Session(engine) as session:
        assert audit.audit(session, settings).clean
    state, problems = _monitor(app_client, None)
    assert problems == []
    assert _verify(app_client, issued.pdf)["reason"] in ("in_force", "licence_revoked")

    ref = rewrite(engine, issued)

    with Session(engine) as session:
        report = audit.audit(session, settings)
    assert what in {f.what for f in report.findings if f.ref == ref}, report.findings
    result = CliRunner().invoke(
        main,
        ["audit", "verify"],
        env={
            "BIZREG_DATA_DIR": str(settings.data_dir),
            "BIZREG_DATABASE_URL": settings.effective_database_url,
        },
    )
    assert result.exit_code == 1
    assert f"{what} {ref}".replace(" ", "") in result.output.replace(" ", "")
    body = _verify(app_client, issued.pdf)
    if about_licence:
        # Not TOTAL_FAILED (the file is genuine) nor in force (the row is not to be trusted).
        assert (body["indication"], body["reason"]) == ("INDETERMINATE", "registry_inconsistent")
        if rewrite is _unrevoke:
            assert body["in_force"] is not True

    _rewrite_log_to_match(engine)
    assert _sign(engine, settings) is not None  # the service signs the rewritten history ...
    _, problems = _monitor(app_client, state)  # ... and the monitor refuses it, naming the leaf
    assert problems, "the monitor accepted a rewritten history"
    assert problems[0].startswith("history rewritten")
    assert any(ref in problem for problem in problems[1:]), problems


def test_a_clean_log_grows_and_stays_consistent(
    app_client: TestClient, engine: Engine, settings: Settings, issued: Issued
) -> None:
    assert _sign(engine, settings) is not None
    assert _sign(engine, settings) is None  # nothing new, nothing signed
    state, problems = _monitor(app_client, None)
    assert problems == []
    with Session(engine) as session:
        ledger.record_admin(session, "client.suspend", "client:x", "registrar-1")
        session.commit()
    assert _sign(engine, settings) is not None
    state, problems = _monitor(app_client, state)
    assert problems == []
    assert state.refs[-1].startswith("admin_event:")
    leaves = app_client.get("/log/leaves", params={"start": 0, "end": state.size}).json()
    for body in leaves["leaves"]:
        published = json.loads(body)
        # Records about people are published as a commitment only.
        if published["kind"].startswith(("application.", "admin.")):
            assert published["public"] == {}
            assert "registrar-1" not in body
    assert _verify(app_client, issued.pdf)["reason"] == "in_force"


def test_concurrent_appenders_get_consecutive_leaves(engine: Engine, settings: Settings) -> None:
    """Many transactions appending at once (threads, one connection each; on PostgreSQL truly
    concurrent): every leaf index taken once, none skipped, the audit clean."""
    import threading

    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            for i in range(5):
                with Session(engine) as session:
                    ledger.record_admin(session, "client.resume", f"client:c{n}-{i}", f"r{n}")
                    session.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        indices = session.exec(select(LogLeaf.idx).order_by(col(LogLeaf.idx))).all()
        assert list(indices) == list(range(40))
        assert session.get(LogHead, 1) is not None
        assert audit.audit(session, settings).clean


def test_security_counts_are_sealed_and_an_edited_count_is_named(
    engine: Engine, settings: Settings
) -> None:
    """A flood grows one bucket's counter; once its minute is over the worker logs the final
    count, so lowering it afterwards (hiding an attack) is named by the audit."""
    import datetime as dt

    from registration.domain.security_events import SecurityEventKind
    from registration.services import security_events

    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with Session(engine) as session:
        for _ in range(50):
            security_events.record(
                session, SecurityEventKind.SIGN_IN_FAILED, "officer-li", "10.0.0.9", now=earlier
            )
        session.commit()
    with Session(engine) as session:
        # One leaf for the bucket however long the flood; none yet for its count.
        assert len(session.exec(select(LogLeaf)).all()) == 1
    CheckpointWorker(engine, settings).sign_once()
    with Session(engine) as session:
        kinds = sorted(leaf.kind for leaf in session.exec(select(LogLeaf)))
        assert kinds == ["security.sign_in_failed", "security.sign_in_failed.sealed"]
        assert audit.audit(session, settings).clean
    _sql(engine, "UPDATE security_event SET count = 2")
    with Session(engine) as session:
        findings = audit.audit(session, settings).findings
    assert [(f.what, f.ref.split(":")[0]) for f in findings] == [
        ("edited", "security_event_sealed")
    ]


def test_rows_from_before_the_log_are_adopted_once(
    app_client: TestClient, engine: Engine, settings: Settings, issued: Issued
) -> None:
    """A deployment upgraded to the log: its earlier rows are adopted into the empty log, and
    only then; afterwards a row without a leaf stays an insertion behind the service's back."""
    _sql(engine, "DELETE FROM log_leaf", "UPDATE log_head SET size = 0")
    env = {
        "BIZREG_DATA_DIR": str(settings.data_dir),
        "BIZREG_DATABASE_URL": settings.effective_database_url,
    }
    with Session(engine) as session:
        assert {f.what for f in audit.audit(session, settings).findings} == {"inserted"}
    adopted = CliRunner().invoke(main, ["log", "adopt"], env=env)
    assert adopted.exit_code == 0, adopted.output
    with Session(engine) as session:
        assert audit.audit(session, settings).clean
    again = CliRunner().invoke(main, ["log", "adopt"], env=env)
    assert again.exit_code == 1
    assert "only an empty log" in again.output
    assert _verify(app_client, issued.pdf)["reason"] == "in_force"
