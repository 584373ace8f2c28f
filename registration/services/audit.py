"""Checking the database against its transparency log (`bizreg audit verify`, and the online
licence check behind `registry_inconsistent`).

Every leaf is recomputed from the row it names, with the salt stored beside it: a row edited
behind the service's back no longer matches, a deleted row leaves a leaf without a row, an
inserted row has no leaf. The tree is rebuilt from the recomputed leaves and compared with
the stored leaf hashes, the head and every signed checkpoint. Status columns are projections
of logged events, so they are compared too: a revoked licence set back to `active` is found
even when its events and their leaves were deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from registration.models import (
    AdminEvent,
    Application,
    ApplicationEvent,
    ArchiveRenewal,
    Licence,
    LicenceEvent,
    LogCheckpoint,
    LogHead,
    LogLeaf,
    SecurityEvent,
)
from registration.services import checkpoints, ledger
from registration.settings import Settings
from tlog import MerkleTree, NoteError, leaf_hash


@dataclass(frozen=True)
class Finding:
    what: str  # edited | deleted | inserted | status | log
    ref: str
    message: str

    def __str__(self) -> str:
        return f"{self.what:<8} {self.ref}: {self.message}"


@dataclass
class AuditReport:
    leaves: int = 0
    rows: int = 0
    checkpoint_size: int | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings


def _security_values(row: SecurityEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "subject": row.subject,
        "address": row.address,
        "minute": row.minute,
    }


def _describe(row: Any) -> str:
    if isinstance(row, ApplicationEvent):
        return f"application {row.application_id} event {row.seq} {row.action} by {row.actor}"
    if isinstance(row, LicenceEvent):
        return f"licence {row.licence_id} {row.action} by {row.actor}"
    if isinstance(row, Licence):
        return f"licence {row.uscc} v{row.version} sha256 {row.sha256[:12]}…"
    if isinstance(row, AdminEvent):
        return f"{row.action} of {row.target} by {row.actor}"
    return str(getattr(row, "kind", type(row).__name__))


def _sources(
    session: Session, logged: set[str] | None = None
) -> Iterable[tuple[Any, ledger.LeafRecord]]:
    """Every logged row's record; a security bucket's sealed record too once it was sealed
    (`logged`: the refs in the log; a bucket not sealed yet is still counting)."""
    for model, make in ledger.RECORDS.items():
        for row in session.exec(select(model)):
            yield row, make(row)
    for security in session.exec(select(SecurityEvent)):
        yield security, ledger.security_event_record(_security_values(security))
        if logged is None or f"{ledger.SEALED}{security.id}" in logged:
            yield security, ledger.security_sealed_record(security)


def _check_leaf(leaf: LogLeaf, record: ledger.LeafRecord | None, row: Any) -> Finding | None:
    if record is None:
        public = json.loads(leaf.body).get("public") or {}
        shown = f" {json.dumps(public, ensure_ascii=False)}" if public else ""
        return Finding(
            "deleted", leaf.ref, f"logged as leaf {leaf.idx} ({leaf.kind}{shown}); the row is gone"
        )
    if leaf.salt is None or record.body(leaf.salt) != leaf.body:
        return Finding(
            "edited", leaf.ref, f"{_describe(row)} no longer matches leaf {leaf.idx} ({leaf.kind})"
        )
    return None


def audit(session: Session, settings: Settings) -> AuditReport:
    report = AuditReport()
    leaves = session.exec(select(LogLeaf).order_by(col(LogLeaf.idx))).all()
    rows: dict[str, tuple[Any, ledger.LeafRecord]] = {}
    for source, made in _sources(session, {leaf.ref for leaf in leaves}):
        rows[made.ref] = (source, made)
    report.rows = len(rows)
    tree = MerkleTree()
    logged_status: dict[str, str] = {}
    for leaf in leaves:
        if leaf.idx != tree.size:
            report.findings.append(
                Finding("log", f"leaf:{tree.size}", f"leaves {tree.size}…{leaf.idx - 1} deleted")
            )
        found = rows.pop(leaf.ref, None)
        row = None if found is None else found[0]
        record = None if found is None else found[1]
        problem = _check_leaf(leaf, record, row)
        if problem is not None:
            report.findings.append(problem)
        recomputed = leaf_hash(leaf.body.encode())
        if recomputed.hex() != leaf.leaf_hash:
            report.findings.append(
                Finding("log", f"leaf:{leaf.idx}", f"stored hash of {leaf.ref} was edited")
            )
        tree.append_hash(recomputed)
        public = json.loads(leaf.body).get("public") or {}
        if leaf.kind.startswith("licence.") and "to" in public:
            logged_status[leaf.subject] = public["to"]
        elif leaf.kind == "licence.issued":
            logged_status.setdefault(leaf.subject, "active")
    report.leaves = len(leaves)
    for ref, (row, _) in sorted(rows.items()):
        report.findings.append(Finding("inserted", ref, f"{_describe(row)} is not in the log"))
    report.findings.extend(_status_findings(session, logged_status))
    report.findings.extend(_tree_findings(session, settings, tree, report))
    return report


def _status_findings(session: Session, logged: dict[str, str]) -> Iterable[Finding]:
    for licence in session.exec(select(Licence)):
        expected = logged.get(licence.id)
        if expected is not None and expected != licence.status.value:
            yield Finding(
                "status",
                f"licence:{licence.id}",
                f"licence {licence.uscc} v{licence.version} is {licence.status.value}, "
                f"the log says {expected}",
            )
    last: dict[str, str] = {}
    for app_id, to_status in session.exec(
        select(ApplicationEvent.application_id, ApplicationEvent.to_status).order_by(
            col(ApplicationEvent.application_id), col(ApplicationEvent.seq)
        )
    ):
        last[app_id] = to_status
    for application in session.exec(select(Application)):
        projected = last.get(application.id)
        if projected is not None and projected != application.status:
            yield Finding(
                "status",
                f"application:{application.id}",
                f"status {application.status}, its events say {projected}",
            )


def _tree_findings(
    session: Session, settings: Settings, tree: MerkleTree, report: AuditReport
) -> Iterable[Finding]:
    head = session.get(LogHead, 1)
    if head is not None and head.size != tree.size:
        yield Finding("log", "log_head", f"the head says {head.size} leaves, {tree.size} stored")
    rows = session.exec(select(LogCheckpoint).order_by(col(LogCheckpoint.size))).all()
    for row in rows:
        try:
            checkpoint = checkpoints.open_checkpoint(row, settings)
        except NoteError as error:
            yield Finding("log", f"checkpoint:{row.size}", f"signature: {error}")
            continue
        if checkpoint.size > tree.size:
            yield Finding(
                "log",
                f"checkpoint:{row.size}",
                f"signed for {checkpoint.size} leaves, only {tree.size} remain",
            )
        elif tree.root(checkpoint.size) != checkpoint.root:
            yield Finding(
                "log",
                f"checkpoint:{row.size}",
                f"the first {checkpoint.size} leaves no longer hash to the signed root",
            )
        report.checkpoint_size = checkpoint.size


def licence_log_problem(
    session: Session, licence: Licence, tree: Callable[[], MerkleTree], settings: Settings
) -> str | None:
    """Why the registry's row for `licence` cannot be trusted, or None: its leaf and its
    events' leaves are recomputed and must match, its status must be the logged one, and
    every leaf already covered by the latest checkpoint must be the one signed."""
    leaves = session.exec(
        select(LogLeaf).where(LogLeaf.subject == licence.id).order_by(col(LogLeaf.idx))
    ).all()
    events = {
        f"licence_event:{e.id}": e
        for e in session.exec(select(LicenceEvent).where(LicenceEvent.licence_id == licence.id))
    }
    renewals = session.exec(
        select(ArchiveRenewal)
        .where(ArchiveRenewal.document == "licence", ArchiveRenewal.document_id == licence.id)
        .order_by(col(ArchiveRenewal.seq))
    ).all()
    rows: dict[str, Any] = {
        f"licence:{licence.id}": licence,
        **events,
        **{f"archive_renewal:{r.id}": r for r in renewals},
    }
    # The current file must be the last logged renewal's (or the issued one).
    current_file = renewals[-1].sha256 if renewals else (licence.issued_sha256 or licence.sha256)
    if current_file != licence.sha256:
        return "the stored file is not the one the log records for this licence"
    if f"licence:{licence.id}" not in {leaf.ref for leaf in leaves}:
        return "the licence is not in the transparency log"
    status = "active"
    current = checkpoints.latest(session)
    signed = tree() if current is not None else None
    if current is not None:
        try:
            checkpoint = checkpoints.open_checkpoint(current, settings)
        except NoteError as error:
            return f"the latest checkpoint does not verify: {error}"
        if checkpoint.root.hex() != current.root_hash:
            return "the latest checkpoint's stored root is not the signed one"
    for leaf in leaves:
        row = rows.pop(leaf.ref, None)
        record = None if row is None else ledger.RECORDS[type(row)](row)
        problem = _check_leaf(leaf, record, row)
        if problem is not None:
            return str(problem)
        public = json.loads(leaf.body).get("public") or {}
        status = public.get("to", status)
        if signed is not None and current is not None and leaf.idx < current.size:
            if signed.size <= leaf.idx or signed.leaf(leaf.idx).hex() != leaf.leaf_hash:
                return f"leaf {leaf.idx} ({leaf.ref}) differs from the signed log"
            if signed.root(current.size).hex() != current.root_hash:
                return "the stored log no longer hashes to its latest checkpoint"
    if rows:
        return f"{', '.join(sorted(rows))} not in the transparency log"
    if status != licence.status.value:
        return f"the registry says {licence.status.value}, the log says {status}"
    return None


class LogNotEmpty(RuntimeError):
    """Adoption is for a log's genesis only."""


def adopt_existing(session: Session) -> int:
    """Append a leaf for every row written before the log existed (a deployment upgraded to
    migration 0014). Only into an empty log: once it has leaves, a row without one is a row
    inserted behind the service's back, and adopting it would bless it. Commits."""
    if session.exec(select(LogLeaf.idx).limit(1)).first() is not None:
        raise LogNotEmpty("the log has leaves already: only an empty log adopts existing rows")
    count = 0
    for _, record in _sources(session, logged=set()):
        ledger.queue(session, lambda record=record: record)  # type: ignore[misc]
        count += 1
    session.commit()
    return count
