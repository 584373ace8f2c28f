"""Licence lifecycle: revocation, and amendments that supersede (the PDF never changes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.services import issuance as service
from templates import read_licence_data
from tests.api.helpers import act, create
from tests.conftest import example, row_counts, unique_name

Headers = dict[str, str]


@pytest.fixture
def issued(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> tuple[str, Headers]:
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    act(app_client, bank, app_id, "submit")
    service.run_once(engine, authority)
    uscc = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]["uscc"]
    return uscc, bank


def test_registrar_revokes_with_a_reason_and_the_pdf_stays_the_same(
    app_client: TestClient, issued: tuple[str, Headers], officer: Callable[..., Headers]
) -> None:
    uscc, bank = issued
    pdf_before = app_client.get(f"/api/v1/licences/{uscc}/pdf", headers=bank).content
    admin = officer(Role.REGISTRAR_ADMIN)
    response = app_client.post(
        f"/api/v1/licences/{uscc}/revoke",
        json={"reason": "以欺骗手段取得登记 / registration obtained by fraud"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    public = app_client.get(f"/api/v1/licences/{uscc}").json()
    assert public["status"] == "revoked"
    assert public["status_reason"].startswith("以欺骗手段")
    assert public["status_changed_at"] is not None
    assert app_client.get(f"/api/v1/licences/{uscc}/pdf", headers=bank).content == pdf_before

    again = app_client.post(
        f"/api/v1/licences/{uscc}/revoke", json={"reason": "twice"}, headers=admin
    )
    assert again.status_code == 409
    assert again.json()["code"] == "licence_not_active"


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.BACK_OFFICE, Role.REGULATOR, Role.AUDITOR])
def test_only_the_registrar_administration_revokes(
    app_client: TestClient,
    engine: Engine,
    issued: tuple[str, Headers],
    officer: Callable[..., Headers],
    role: Role,
) -> None:
    uscc, bank = issued
    headers = officer(role, ("general",) if role is Role.BACK_OFFICE else ())
    counts = row_counts(engine)
    response = app_client.post(
        f"/api/v1/licences/{uscc}/revoke", json={"reason": "not allowed"}, headers=headers
    )
    assert response.status_code == 403
    for caller in (bank, {}):
        assert app_client.post(
            f"/api/v1/licences/{uscc}/revoke", json={"reason": "not allowed"}, headers=caller
        ).status_code in (401, 403)
    assert row_counts(engine) == counts
    assert app_client.get(f"/api/v1/licences/{uscc}").json()["status"] == "active"


def test_revocation_needs_a_reason_and_an_existing_licence(
    app_client: TestClient, issued: tuple[str, Headers], officer: Callable[..., Headers]
) -> None:
    uscc, _ = issued
    admin = officer(Role.REGISTRAR_ADMIN)
    missing = app_client.post(f"/api/v1/licences/{uscc}/revoke", json={}, headers=admin)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    unknown = app_client.post(
        "/api/v1/licences/91441900MA000000XX/revoke", json={"reason": "x" * 5}, headers=admin
    )
    assert unknown.status_code == 404


def _amend(client: TestClient, headers: Headers, uscc: str, **company: object) -> dict[str, object]:
    body = example("yinzhengtong")
    body["company"].update(company)
    response = client.post(f"/api/v1/licences/{uscc}/amendments", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_an_approved_amendment_issues_version_2_and_supersedes_version_1(
    app_client: TestClient, engine: Engine, authority: LicenceAuthority, issued: tuple[str, Headers]
) -> None:
    uscc, bank = issued
    amendment = _amend(app_client, bank, uscc, domicile="广东省东莞市南城街道鸿福路99号")
    app_id = str(amendment["id"])
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    service.run_once(engine, authority)

    link = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
    assert (link["uscc"], link["version"]) == (uscc, 2)
    current = app_client.get(f"/api/v1/licences/{uscc}").json()
    assert (current["version"], current["status"]) == (2, "active")
    old = app_client.get(f"/api/v1/licences/{uscc}", params={"v": 1}).json()
    assert old["status"] == "superseded"
    assert old["status_reason"] == "superseded by version 2"
    assert [v["status"] for v in current["versions"]] == ["superseded", "active"]
    v2 = app_client.get(f"/api/v1/licences/{uscc}/pdf", params={"v": 2}, headers=bank).content
    assert read_licence_data(v2)["domicile"] == "广东省东莞市南城街道鸿福路99号"
    assert read_licence_data(v2)["version"] == 2


def test_an_amendment_that_renames_frees_the_old_name(
    app_client: TestClient, engine: Engine, authority: LicenceAuthority, issued: tuple[str, Headers]
) -> None:
    uscc, bank = issued
    old_name = example("yinzhengtong")["company"]["name"]["zh"]
    new_name = unique_name(3, "贸易")
    app_id = str(_amend(app_client, bank, uscc, name={"zh": new_name})["id"])
    assert (
        app_client.get("/api/v1/names/check", params={"name": old_name}, headers=bank).json()[
            "available"
        ]
        is False
    )
    act(app_client, bank, app_id, "submit")
    service.run_once(engine, authority)
    assert (
        app_client.get("/api/v1/names/check", params={"name": old_name}, headers=bank).json()[
            "available"
        ]
        is True
    )
    assert (
        app_client.get("/api/v1/names/check", params={"name": new_name}, headers=bank).json()[
            "available"
        ]
        is False
    )


def test_amendments_are_for_the_owner_of_a_licence_in_force_one_at_a_time(
    app_client: TestClient,
    issued: tuple[str, Headers],
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    uscc, bank = issued
    stranger = api_client_for("yinzhengtong")
    body = example("yinzhengtong")
    assert (
        app_client.post(
            f"/api/v1/licences/{uscc}/amendments", json=body, headers=stranger
        ).status_code
        == 404
    )
    _amend(app_client, bank, uscc)
    second = app_client.post(f"/api/v1/licences/{uscc}/amendments", json=body, headers=bank)
    assert second.status_code == 409
    assert second.json()["code"] == "amendment_in_progress"


def test_a_revoked_licence_cannot_be_amended(
    app_client: TestClient, issued: tuple[str, Headers], officer: Callable[..., Headers]
) -> None:
    uscc, bank = issued
    app_client.post(
        f"/api/v1/licences/{uscc}/revoke",
        json={"reason": "deregistered by court order"},
        headers=officer(Role.REGISTRAR_ADMIN),
    )
    response = app_client.post(
        f"/api/v1/licences/{uscc}/amendments", json=example("yinzhengtong"), headers=bank
    )
    assert response.status_code == 409
    assert response.json()["code"] == "licence_not_active"


def test_revocation_and_amendment_do_not_cross(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    issued: tuple[str, Headers],
    officer: Callable[..., Headers],
) -> None:
    uscc, bank = issued
    admin = officer(Role.REGISTRAR_ADMIN)
    # An amendment approved (instantly) and waiting for the worker: revocation waits for it.
    app_id = str(_amend(app_client, bank, uscc, domicile="广东省东莞市南城街道鸿福路77号")["id"])
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    busy = app_client.post(
        f"/api/v1/licences/{uscc}/revoke", json={"reason": "fraud"}, headers=admin
    )
    assert busy.status_code == 409
    assert busy.json()["code"] == "amendment_being_issued"
    service.run_once(engine, authority)
    assert (
        app_client.post(
            f"/api/v1/licences/{uscc}/revoke", json={"reason": "fraud"}, headers=admin
        ).status_code
        == 200
    )
    assert app_client.get(f"/api/v1/licences/{uscc}").json()["version"] == 2


def test_an_amendment_opened_before_revocation_cannot_be_approved(
    app_client: TestClient,
    issued: tuple[str, Headers],
    officer: Callable[..., Headers],
) -> None:
    uscc, bank = issued
    app_id = str(_amend(app_client, bank, uscc, domicile="广东省东莞市南城街道鸿福路66号")["id"])
    app_client.post(
        f"/api/v1/licences/{uscc}/revoke",
        json={"reason": "fraud"},
        headers=officer(Role.REGISTRAR_ADMIN),
    )
    refused = act(app_client, bank, app_id, "submit")
    assert refused.status_code == 409
    assert refused.json()["code"] == "licence_not_active"
    status = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["status"]
    assert status == "draft"
