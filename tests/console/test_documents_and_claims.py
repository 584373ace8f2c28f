"""Officers open uploaded documents (right role only, served inert); claims keep two officers
off one application."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from reportlab.pdfgen import canvas
from sqlalchemy import Engine

from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.services import issuance
from tests.api.helpers import act, create
from tests.console.conftest import sign_in

Headers = dict[str, str]


@functools.cache
def _pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Articles of association (non-standard)")
    page.save()
    return out.getvalue()


def _submitted_with_document(client: TestClient, bank: Headers) -> tuple[str, dict[str, Any]]:
    app_id = create(client, bank, "paris")["id"]
    uploaded = client.post(
        f"/api/v1/applications/{app_id}/documents",
        files={"file": ("articles.pdf", _pdf(), "application/pdf")},
        headers=bank,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert act(client, bank, app_id, "submit").status_code == 200
    return app_id, uploaded.json()


def test_document_bytes_for_the_right_officers_only(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("paris")
    app_id, document = _submitted_with_document(app_client, bank)
    url = f"/api/v1/applications/{app_id}/documents/{document['id']}/content"
    front = app_client.get(url, headers=officer(Role.FRONT_DESK))
    assert front.status_code == 200
    assert front.content == _pdf()
    assert front.headers["content-type"] == "application/pdf"
    assert front.headers["content-disposition"] == "inline; filename*=UTF-8''articles.pdf"
    assert front.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in front.headers["content-security-policy"]
    food = officer(Role.BACK_OFFICE, ("food_safety",))
    assert app_client.get(url, headers=food).status_code == 200
    other = app_client.get(url, headers=officer(Role.BACK_OFFICE, ("general",)))
    assert other.status_code == 404
    assert app_client.get(url, headers=officer(Role.AUDITOR)).status_code == 403
    assert app_client.get(url, headers=bank).status_code == 403
    assert app_client.get(url, headers={}).status_code == 401
    unknown = app_client.get(
        f"/api/v1/applications/{app_id}/documents/nope/content", headers=officer(Role.FRONT_DESK)
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "document_not_found"


def test_a_non_pdf_upload_is_still_refused(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    refused = app_client.post(
        f"/api/v1/applications/{app_id}/documents",
        files={"file": ("evil.html", b"<script>alert(1)</script>", "text/html")},
        headers=bank,
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_a_pdf"


def test_the_console_serves_the_document_to_a_signed_in_officer(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    make_officer: Callable[..., str],
) -> None:
    bank = api_client_for("paris")
    app_id, document = _submitted_with_document(app_client, bank)
    sign_in(app_client, make_officer(Role.FRONT_DESK))
    page = app_client.get(f"/console/applications/{app_id}/documents/{document['id']}")
    assert page.status_code == 200
    assert page.content == _pdf()


def test_a_claimed_application_cannot_be_acted_on_by_another_officer(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    make_officer: Callable[..., str],
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    first, second = make_officer(Role.FRONT_DESK), make_officer(Role.FRONT_DESK)
    csrf = sign_in(app_client, first)
    taken = app_client.post(
        f"/console/applications/{app_id}/claim", data={"csrf": csrf}, follow_redirects=False
    )
    assert taken.headers["location"].endswith("?done=claim")
    app_client.cookies.clear()
    csrf2 = sign_in(app_client, second)
    refused = app_client.post(
        f"/console/applications/{app_id}/act",
        data={"action": "accept", "csrf": csrf2},
        follow_redirects=False,
    )
    assert refused.headers["location"].endswith("?refused=application_claimed")
    again = app_client.post(
        f"/console/applications/{app_id}/claim", data={"csrf": csrf2}, follow_redirects=False
    )
    assert again.headers["location"].endswith("?refused=application_claimed")
    status = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["status"]
    assert status == "submitted"
    # A registrar releases it; then the second officer can take it and act.
    app_client.cookies.clear()
    registrar_csrf = sign_in(app_client, make_officer(Role.REGISTRAR_ADMIN))
    released = app_client.post(
        f"/console/applications/{app_id}/release",
        data={"csrf": registrar_csrf},
        follow_redirects=False,
    )
    assert released.headers["location"].endswith("?done=release")
    app_client.cookies.clear()
    csrf2 = sign_in(app_client, second)
    done = app_client.post(
        f"/console/applications/{app_id}/act",
        data={"action": "accept", "csrf": csrf2},
        follow_redirects=False,
    )
    assert done.headers["location"].endswith("?done=accept")


def test_return_with_itemised_reasons_from_the_catalogue(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    make_officer: Callable[..., str],
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    csrf = sign_in(app_client, make_officer(Role.FRONT_DESK))
    without = app_client.post(
        f"/console/applications/{app_id}/act",
        data={"action": "return", "csrf": csrf},
        follow_redirects=False,
    )
    assert without.headers["location"].endswith("?refused=reasons_required")
    returned = app_client.post(
        f"/console/applications/{app_id}/act",
        data={
            "action": "return",
            "csrf": csrf,
            "reason_0": "articles_non_standard",
            "note_0": "Clause 12 differs.",
            "reason_1": "missing_document",
            "note_1": "",
        },
        follow_redirects=False,
    )
    assert returned.headers["location"].endswith("?done=return")
    events = app_client.get(f"/api/v1/applications/{app_id}/events", headers=bank).json()
    reasons = events[-1]["reasons"]
    assert [r["field"] for r in reasons] == ["company.articles_of_association", "documents"]
    assert reasons[0]["message"].endswith("Clause 12 differs.")


def test_revocation_needs_a_second_registrar(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    make_officer: Callable[..., str],
    engine: Engine,
    authority: LicenceAuthority,
) -> None:
    bank = api_client_for("hong_kong")
    app_id = create(app_client, bank, "hong_kong")["id"]
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    assert issuance.run_once(engine, authority) == app_id
    issued = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()
    uscc = issued["licence"]["uscc"]
    page = f"/console/licences/{uscc}"
    first, second = make_officer(Role.REGISTRAR_ADMIN), make_officer(Role.REGISTRAR_ADMIN)
    csrf = sign_in(app_client, first)

    def step(name: str, token: str, reason: str = "") -> str:
        answer = app_client.post(
            f"{page}/revocation",
            data={"csrf": token, "step": name, "reason": reason},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        location: str = answer.headers["location"]
        return location

    assert step("propose", csrf, "Obtained by fraud").endswith("?done=propose")
    assert step("propose", csrf, "Twice").endswith("?refused=revocation_pending")
    assert step("confirm", csrf).endswith("?refused=separation_of_duties")
    status = app_client.get(f"/api/v1/licences/{uscc}").json()["status"]
    assert status == "active"
    app_client.cookies.clear()
    csrf2 = sign_in(app_client, second)
    assert step("confirm", csrf2).endswith("?done=confirm")
    licence = app_client.get(f"/api/v1/licences/{uscc}").json()
    assert licence["status"] == "revoked"
    assert app_client.get(page).status_code == 200
    # Front desk and back office have no licence pages.
    app_client.cookies.clear()
    sign_in(app_client, make_officer(Role.FRONT_DESK))
    assert app_client.get(page).status_code == 403
