"""End to end, on either database: a company registered through the Paris branch is amended
through a Yinzhengtong terminal by its attested legal representative, has its licence fetched
and is deregistered through the Hong Kong app, with an objection lodged and withdrawn; the
verification of the signed PDF reports each state. Bad attestations change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.db import utcnow
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.models import CompanyAttestation
from registration.services import deregistrations, issuance
from tests.api.helpers import act
from tests.conftest import example, row_counts
from tests.terminals.support import ATTESTERS, Attester, new_key

Headers = dict[str, str]
PARIS = example("paris")
CLAIRE = PARIS["persons"][0]  # the legal representative
LUCAS = PARIS["persons"][1]  # the supervisor, not the legal representative


def _issue(
    client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    headers: Headers,
    app_id: str,
    officer: Callable[..., Headers],
) -> None:
    status = act(client, headers, app_id, "submit").json()
    if status["status"] != "approved":  # a scope that needs an officer's approval
        category = status.get("category") or ""
        assert act(client, officer(Role.FRONT_DESK), app_id, "accept").status_code == 200
        approver = officer(Role.BACK_OFFICE, (category,))
        approved = act(client, approver, app_id, "approve")
        assert approved.status_code == 200, approved.text
    assert issuance.run_once(engine, authority) == app_id


def _verify(client: TestClient, pdf: bytes) -> dict[str, Any]:
    response = client.post(
        "/api/v1/verify", files={"file": ("licence.pdf", pdf, "application/pdf")}
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _token(headers: Headers, uscc: str, person: dict[str, Any], **overrides: Any) -> str:
    return ATTESTERS[headers["Authorization"]].token(f"uscc:{uscc}", person, **overrides)


def test_paris_company_amended_in_dongguan_and_deregistered_from_hong_kong(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    paris, terminal, hong_kong = (
        api_client_for("paris"),
        api_client_for("yinzhengtong"),
        api_client_for("hong_kong"),
    )
    created = app_client.post("/api/v1/applications", json=PARIS, headers=paris)
    assert created.status_code == 201, created.text
    _issue(app_client, engine, authority, paris, created.json()["id"], officer)
    uscc = app_client.get(f"/api/v1/applications/{created.json()['id']}", headers=paris).json()[
        "licence"
    ]["uscc"]
    v1 = app_client.get(f"/api/v1/licences/{uscc}/pdf", headers=paris).content
    assert _verify(app_client, v1)["verdict"] == "in_force"

    # Another channel without the legal representative: the company is not its to see.
    change = {
        **PARIS,
        "company": {**PARIS["company"], "domicile": "广东省东莞市南城街道鸿福路88号"},
    }
    url = f"/api/v1/licences/{uscc}/amendments"
    assert app_client.post(url, json=change, headers=terminal).status_code == 404
    assert app_client.get(f"/api/v1/licences/{uscc}/pdf", headers=terminal).status_code == 404

    # The Yinzhengtong terminal, with its bank's attestation of Claire DUBOIS.
    before = row_counts(engine)
    amended = app_client.post(
        url,
        json=change,
        headers={**terminal, "Representative-Attestation": _token(terminal, uscc, CLAIRE)},
    )
    assert amended.status_code == 201, amended.text
    amendment_id = amended.json()["id"]
    assert row_counts(engine)["company_attestation"] == before["company_attestation"] + 1
    _issue(app_client, engine, authority, terminal, amendment_id, officer)
    status = app_client.get(f"/api/v1/licences/{uscc}").json()
    assert (status["version"], status["status"]) == (2, "active")
    assert _verify(app_client, v1)["verdict"] == "not_in_force"  # superseded

    # Hong Kong: the current licence for its attested legal representative, then deregistration.
    download = app_client.get(
        f"/api/v1/licences/{uscc}/pdf",
        headers={**hong_kong, "Representative-Attestation": _token(hong_kong, uscc, CLAIRE)},
    )
    assert download.status_code == 200
    v2 = download.content
    assert _verify(app_client, v2)["verdict"] == "in_force"
    filed = app_client.post(
        f"/api/v1/licences/{uscc}/deregistration",
        headers={**hong_kong, "Representative-Attestation": _token(hong_kong, uscc, CLAIRE)},
    )
    assert filed.status_code == 201, filed.text
    notice_url = f"/api/v1/deregistrations/{filed.json()['id']}"
    objection = app_client.post(
        f"{notice_url}/objections",
        json={"contact": "fournisseur@example.fr", "reason": "facture impayée de 3 000 EUR"},
    ).json()
    assert app_client.get(notice_url).json()["pending_objections"] == 1
    withdrawn = app_client.post(
        f"{notice_url}/objections/{objection['id']}/withdraw",
        json={"token": objection["withdraw_token"]},
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert _verify(app_client, v2)["verdict"] == "in_force"  # still, during the notice
    with Session(engine) as session:
        assert deregistrations.complete_due(session, utcnow() + timedelta(days=21), 365) == 1
    report = _verify(app_client, v2)
    assert report["verdict"] == "not_in_force"
    assert report["reason"] == "licence_deregistered"
    assert report["registry"]["status"] == "deregistered"
    day = report["registry"]["status_changed_at"][:10]
    page = app_client.get(f"/verify/{uscc}", params={"lang": "en"}).text
    assert "deregistered" in page
    assert day in page
    found = app_client.get("/api/v1/register", params={"q": uscc}).json()["entries"][0]
    assert found["status"] == "deregistered"

    # Who did what, through which client.
    with Session(engine) as session:
        records = session.exec(select(CompanyAttestation).where(CompanyAttestation.uscc == uscc))
        done = sorted((x.action, x.client_id, x.person_name) for x in records)
    assert done == sorted(
        [
            ("amend", ATTESTERS[terminal["Authorization"]].client_id, "Claire DUBOIS"),
            ("download", ATTESTERS[hong_kong["Authorization"]].client_id, "Claire DUBOIS"),
            ("deregister", ATTESTERS[hong_kong["Authorization"]].client_id, "Claire DUBOIS"),
        ]
    )
    kinds = [x["kind"] for x in app_client.get("/api/v1/feed").json()["events"]]
    assert kinds == [
        "licence.issued",
        "licence.amended",
        "deregistration.opened",
        "deregistration.objected",
        "deregistration.objection_withdrawn",
        "deregistration.completed",
    ]


@pytest.fixture
def paris_company(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> str:
    paris = api_client_for("paris")
    app_id = app_client.post("/api/v1/applications", json=PARIS, headers=paris).json()["id"]
    _issue(app_client, engine, authority, paris, app_id, officer)
    return str(
        app_client.get(f"/api/v1/applications/{app_id}", headers=paris).json()["licence"]["uscc"]
    )


def _bad_tokens(headers: Headers, uscc: str) -> dict[str, tuple[str, int, str]]:
    now = int(datetime.now(UTC).timestamp())
    forger = Attester(ATTESTERS[headers["Authorization"]].client_id, new_key())
    return {
        "not the legal representative": (
            _token(headers, uscc, LUCAS),
            403,
            "not_legal_representative",
        ),
        "stale": (
            _token(headers, uscc, CLAIRE, iat=now - 900, exp=now - 600),
            422,
            "attestation_expired",
        ),
        "forged": (forger.token(f"uscc:{uscc}", CLAIRE), 422, "attestation_signature_invalid"),
        "another company": (
            _token(headers, "91441900MA00000001", CLAIRE),
            422,
            "attestation_wrong_application",
        ),
        "wrong birth date": (
            _token(headers, uscc, {**CLAIRE, "birth_date": "1981-05-12"}),
            422,
            "attested_person_mismatch",
        ),
        "garbage": ("not.a.jws", 422, "attestation_malformed"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not the legal representative",
        "stale",
        "forged",
        "another company",
        "wrong birth date",
        "garbage",
    ],
)
def test_bad_attestations_change_nothing(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    paris_company: str,
    case: str,
) -> None:
    terminal = api_client_for("yinzhengtong")
    token, status, code = _bad_tokens(terminal, paris_company)[case]
    before = row_counts(engine)
    for method, url, body in (
        ("POST", f"/api/v1/licences/{paris_company}/amendments", PARIS),
        ("POST", f"/api/v1/licences/{paris_company}/deregistration", None),
        ("GET", f"/api/v1/licences/{paris_company}/pdf", None),
    ):
        response = app_client.request(
            method,
            url,
            json=body,
            headers={**terminal, "Representative-Attestation": token},
        )
        assert response.status_code == status, (url, response.text)
        assert response.json()["code"] == code
    assert row_counts(engine) == before


def test_an_attestation_is_used_once(
    app_client: TestClient, api_client_for: Callable[[str], Headers], paris_company: str
) -> None:
    terminal = api_client_for("yinzhengtong")
    headers = {**terminal, "Representative-Attestation": _token(terminal, paris_company, CLAIRE)}
    url = f"/api/v1/licences/{paris_company}/pdf"
    assert app_client.get(url, headers=headers).status_code == 200
    again = app_client.get(url, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "attestation_replayed"
