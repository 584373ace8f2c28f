"""The application workflow: one transition table, one guard, status as a projection of events.

Rules come from the authority's "one door, one window" procedure (DESIGN.md §2). Nothing here
imports a web framework or a database: the service layer applies `guard()` and persists the
event, and the refusals carry the HTTP status they answer with as plain numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from registration.domain.application import FieldError


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    APPROVED = "approved"
    ISSUED = "issued"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    # Content edits: recorded in the log, never change the status.
    CREATE = "create"
    UPDATE = "update"
    ATTACH_DOCUMENT = "attach_document"
    # Workflow steps, governed by TRANSITIONS.
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    ISSUE = "issue"
    WITHDRAW = "withdraw"


class Role(StrEnum):
    APPLICANT = "applicant"
    TERMINAL = "terminal"
    FRONT_DESK = "front_desk"
    BACK_OFFICE = "back_office"
    REGISTRAR_ADMIN = "registrar_admin"
    REGULATOR = "regulator"
    AUDITOR = "auditor"
    SYSTEM = "system"


OFFICER_ROLES = frozenset(
    {Role.FRONT_DESK, Role.BACK_OFFICE, Role.REGISTRAR_ADMIN, Role.REGULATOR, Role.AUDITOR}
)
CLIENT_ROLES = frozenset({Role.APPLICANT, Role.TERMINAL})


@dataclass(frozen=True)
class Transition:
    target: Status
    roles: frozenset[Role]
    needs_reasons: bool = False


_CLIENT = CLIENT_ROLES
_FRONT = frozenset({Role.FRONT_DESK, Role.SYSTEM})
_BACK = frozenset({Role.BACK_OFFICE, Role.SYSTEM})
_RETURNERS = frozenset({Role.FRONT_DESK, Role.BACK_OFFICE})

# DESIGN.md §2. Anything not in this table is refused by `guard`.
TRANSITIONS: dict[tuple[Status, Action], Transition] = {
    (Status.DRAFT, Action.SUBMIT): Transition(Status.SUBMITTED, _CLIENT),
    (Status.SUBMITTED, Action.ACCEPT): Transition(Status.ACCEPTED, _FRONT),
    (Status.SUBMITTED, Action.RETURN): Transition(Status.RETURNED, _RETURNERS, needs_reasons=True),
    (Status.ACCEPTED, Action.RETURN): Transition(Status.RETURNED, _RETURNERS, needs_reasons=True),
    (Status.RETURNED, Action.RESUBMIT): Transition(Status.SUBMITTED, _CLIENT),
    (Status.ACCEPTED, Action.APPROVE): Transition(Status.APPROVED, _BACK),
    (Status.ACCEPTED, Action.REJECT): Transition(
        Status.REJECTED, frozenset({Role.BACK_OFFICE}), needs_reasons=True
    ),
    (Status.APPROVED, Action.ISSUE): Transition(Status.ISSUED, frozenset({Role.SYSTEM})),
    # The system withdraws a draft or a returned application left untouched too long (issue 12).
    (Status.DRAFT, Action.WITHDRAW): Transition(Status.WITHDRAWN, _CLIENT | {Role.SYSTEM}),
    (Status.SUBMITTED, Action.WITHDRAW): Transition(Status.WITHDRAWN, _CLIENT),
    (Status.RETURNED, Action.WITHDRAW): Transition(Status.WITHDRAWN, _CLIENT | {Role.SYSTEM}),
    (Status.ACCEPTED, Action.WITHDRAW): Transition(Status.WITHDRAWN, _CLIENT),
}

# Statuses in which the applicant may still change the application's content.
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})
EDIT_ACTIONS = frozenset({Action.UPDATE, Action.ATTACH_DOCUMENT})


class WorkflowError(Exception):
    """A refused workflow step. Each class carries what the API answers with as plain data, so
    one handler renders them all without the domain importing a web framework: a stable
    `code`, the HTTP status and the problem's title (RFC 9457 §3.1)."""

    code = "workflow_error"
    http_status = 409
    title = "Workflow error"

    @property
    def detail(self) -> str:
        return str(self)

    @property
    def errors(self) -> list[FieldError]:
        return []

    @property
    def extra(self) -> dict[str, Any]:
        return {}

    @property
    def headers(self) -> dict[str, str]:
        return {}


class TransitionNotAllowed(WorkflowError):
    code = "transition_not_allowed"
    title = "Action not allowed in this status"

    def __reduce__(self) -> tuple[type, tuple[Status, Action]]:  # picklable across processes
        return (type(self), (self.status, self.action))

    def __init__(self, status: Status, action: Action) -> None:
        self.status = status
        self.action = action
        self.allowed = allowed_actions(status)
        allowed = ", ".join(self.allowed) or "none"
        super().__init__(f"cannot {action} an application that is {status}; allowed: {allowed}")

    @property
    def extra(self) -> dict[str, Any]:
        # The client's next step without another request: where it stands, what it may do.
        return {
            "current_status": self.status.value,
            "allowed_actions": [a.value for a in self.allowed],
        }


class RoleNotPermitted(WorkflowError):
    code = "role_not_permitted"
    http_status = 403
    title = "Role not permitted"

    def __reduce__(self) -> tuple[type, tuple[Role, Action, Status]]:
        return (type(self), (self.role, self.action, self.status))

    def __init__(self, role: Role, action: Action, status: Status) -> None:
        self.role = role
        self.action = action
        self.status = status
        super().__init__(f"role {role} may not {action} an application that is {status}")


class ReasonsRequired(WorkflowError):
    code = "reasons_required"
    http_status = 422
    title = "Reasons required"

    def __reduce__(self) -> tuple[type, tuple[Action]]:
        return (type(self), (self.action,))

    def __init__(self, action: Action) -> None:
        self.action = action
        super().__init__(f"{action} needs at least one itemised reason")

    @property
    def errors(self) -> list[FieldError]:
        return [FieldError("reasons", "give at least one {field, message} reason", self.code)]


def allowed_actions(status: Status) -> list[Action]:
    return [action for (source, action) in TRANSITIONS if source is status]


def guard(status: Status, action: Action, role: Role, *, has_reasons: bool = False) -> Status:
    """Return the status `action` leads to, or raise why it may not be taken."""
    transition = TRANSITIONS.get((status, action))
    if transition is None:
        raise TransitionNotAllowed(status, action)
    if role not in transition.roles:
        raise RoleNotPermitted(role, action, status)
    if transition.needs_reasons and not has_reasons:
        raise ReasonsRequired(action)
    return transition.target


@dataclass(frozen=True)
class EventRecord:
    """What the projection needs of a stored event."""

    action: Action
    from_status: Status
    to_status: Status


class BrokenEventLog(ValueError):
    """The stored history contains a step the rules never allowed."""


def replay(events: Iterable[EventRecord]) -> Status:
    """Project the event log onto a status, checking that every step was legal."""
    status: Status | None = None
    for event in events:
        if status is None:
            if event.action is not Action.CREATE or event.to_status is not Status.DRAFT:
                raise BrokenEventLog(f"log must start with create, not {event.action}")
            status = Status.DRAFT
            continue
        if event.from_status is not status:
            raise BrokenEventLog(f"{event.action} recorded from {event.from_status} at {status}")
        if event.action in EDIT_ACTIONS:
            if status not in EDITABLE_STATUSES or event.to_status is not status:
                raise BrokenEventLog(f"{event.action} recorded while {status}")
            continue
        transition = TRANSITIONS.get((status, event.action))
        if transition is None or transition.target is not event.to_status:
            raise BrokenEventLog(f"illegal step {event.action} from {status}")
        status = event.to_status
    if status is None:
        raise BrokenEventLog("empty event log")
    return status
