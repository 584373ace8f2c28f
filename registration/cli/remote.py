"""The registry of a remote deployment, through its public API: `bizreg verify --url`.

Only the licence's USCC and version leave the machine (`GET /api/v1/licences/{uscc}?v=N`),
never the file; the answer's SHA-256 is compared with the file's here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from verification import LicenceStatus, Registry, RegistryRecord


class RemoteRegistry:
    """A picklable registry factory (each `bizreg verify` worker process calls it once)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __call__(self) -> Registry:
        http = httpx.Client(base_url=self.base_url, timeout=self.timeout)

        def lookup(uscc: str, version: int) -> RegistryRecord | None:
            response = http.get(f"/api/v1/licences/{uscc}", params={"v": version})
            if response.status_code == 404:
                return None
            # Anything else unexpected raises: the report says the registry was unavailable.
            response.raise_for_status()
            return record_from_status(response.json(), version)

        return lookup


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def record_from_status(body: dict[str, Any], version: int) -> RegistryRecord | None:
    """The registry record of `version` from a `GET /api/v1/licences/{uscc}` answer."""
    if body["version"] != version:
        return None
    issued_at = _time(body["issued_at"])
    assert issued_at is not None
    return RegistryRecord(
        uscc=body["uscc"],
        version=body["version"],
        status=LicenceStatus(body["status"]),
        sha256=body["sha256"],
        # With `sha256`: the issued bytes followed only by validation data (an archive's
        # renewal) are told apart from an altered file, as the server's own check does.
        size=int(body["size"]),
        issued_at=issued_at,
        status_reason=body.get("status_reason"),
        status_changed_at=_time(body.get("status_changed_at")),
        latest_version=max((v["version"] for v in body.get("versions", [])), default=None),
        company_name_zh=body.get("company_name_zh"),
    )
