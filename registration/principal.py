"""Who is calling: an officer account or a registered API client, and what their role allows."""

from __future__ import annotations

from dataclasses import dataclass, field

from registration.domain.workflow import CLIENT_ROLES, Role


@dataclass(frozen=True)
class Principal:
    kind: str  # "officer" | "client" | "system"
    subject: str  # username or client_id
    role: Role
    categories: frozenset[str] = field(default_factory=frozenset)
    channel: str | None = None

    @property
    def is_client(self) -> bool:
        return self.role in CLIENT_ROLES


SYSTEM = Principal(kind="system", subject="system", role=Role.SYSTEM)
