"""Tracking: the reference and code a bank prints, the investor's view of the case, and guesses
answered the same as unknown references and throttled (issue 12)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from registration.models import Application
from registration.services import tracking
from tests.api.helpers import act, create
from tests.investors.support import Headers, returned_hong_kong, track


def test_create_returns_a_reference_and_a_code_of_which_only_a_hash_is_kept(
    app_client: TestClient, api_client_for: Callable[[str], Headers], engine: Engine
) -> None:
    bank = api_client_for("yinzhengtong")
    created = create(app_client, bank, "yinzhengtong")
    reference, code = created["tracking_reference"], created["tracking_code"]
    assert reference.startswith("DG-")
    assert len(code.replace("-", "")) == tracking.CODE_CHARS
    # 20 characters of a 32-letter alphabet: 100 bits.
    assert tracking.CODE_CHARS * 5 >= 80
    with Session(engine) as session:
        row = session.get(Application, created["id"])
        assert row is not None
        assert (
            row.tracking_code_sha256 == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
        )
    with engine.connect() as connection:
        dump = " ".join(
            str(value)
            for record in connection.execute(text("SELECT * FROM application"))
            for value in record
        )
    assert code not in dump
    assert code.replace("-", "") not in dump
    # Every later representation has the reference, never the code.
    again = app_client.get(
        f"/api/v1/applications/{created['id']}", headers=api_client_for("yinzhengtong")
    )
    assert again.status_code == 404  # another client: not even the reference
    # The owner reads it again: the reference, and no code (it was in the create's answer only).
    read = app_client.get(f"/api/v1/applications/{created['id']}", headers=bank)
    assert read.status_code == 200, read.text
    assert read.json()["tracking_reference"] == reference
    assert read.json()["tracking_code"] is None


def test_the_case_as_the_investor_sees_it_in_their_language(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("hong_kong")
    created = returned_hong_kong(app_client, bank, officer)
    # Typed as a person would: lower case, no dashes, an O for a zero.
    typed_code = created["tracking_code"].lower().replace("-", "").replace("0", "o")
    response = track(app_client, created["tracking_reference"].replace("-", " "), typed_code)
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "returned"
    assert case["language"] == "zh-Hant"  # the Hong Kong channel's language
    assert case["status_text"] == "退回補正"
    assert [s["status"] for s in case["timeline"]] == ["draft", "submitted", "returned"]
    assert [s["by"] for s in case["timeline"]] == ["applicant", "applicant", "authority"]
    fixes = case["to_fix"]
    assert [f["field"] for f in fixes] == ["company.domicile", "company.name"]
    assert fixes[0]["code"] == "domicile_unclear"
    assert fixes[0]["guidance"] == "住所資訊不完整或無法核實，請補充。"
    assert fixes[0]["note"] == "门牌号与不动产登记不符"
    assert fixes[1]["code"] is None
    assert fixes[1]["note"].startswith("名称中的行业")
    assert case["expected_decision"]["basis"] == "waiting_for_applicant"
    assert [n["kind"] for n in case["notices"]] == ["return"]
    # Switchable: the same case in French.
    french = track(app_client, created["tracking_reference"], created["tracking_code"], lang="fr")
    assert french.json()["to_fix"][0]["guidance"].startswith("L’adresse du siège")
    # No personal data: no identity numbers, no officer names.
    assert "persons" not in response.text
    assert "front_desk-" not in response.text


def test_wrong_code_and_unknown_reference_answer_alike(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    created = create(app_client, api_client_for("yinzhengtong"), "yinzhengtong")
    wrong = track(app_client, created["tracking_reference"], "AAAA-AAAA-AAAA-AAAA-AAAA")
    unknown = track(app_client, "DG-0000-0000-00", created["tracking_code"])
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["code"] == unknown.json()["code"] == "tracking_not_found"
    assert wrong.json()["detail"] == unknown.json()["detail"]
    # Another application's code opens nothing either.
    other = create(app_client, api_client_for("yinzhengtong"), "yinzhengtong")
    crossed = track(app_client, created["tracking_reference"], other["tracking_code"])
    assert crossed.status_code == 404


def test_guessing_is_throttled_per_reference_even_for_the_right_code(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    created = create(app_client, api_client_for("yinzhengtong"), "yinzhengtong")
    for _ in range(tracking.MAX_FAILURES_PER_REFERENCE):
        assert track(app_client, created["tracking_reference"], "WRONG").status_code == 404
    refused = track(app_client, created["tracking_reference"], created["tracking_code"])
    assert refused.status_code == 429
    assert refused.json()["code"] == "tracking_throttled"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60


def test_guessing_is_throttled_per_address_across_references(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    created = create(app_client, api_client_for("yinzhengtong"), "yinzhengtong")
    for i in range(tracking.MAX_FAILURES_PER_ADDRESS):
        assert track(app_client, f"DG-{i:04d}-0000-00", "WRONG").status_code == 404
    refused = track(app_client, created["tracking_reference"], created["tracking_code"])
    assert refused.status_code == 429


def test_bad_query_parameters_are_a_clear_4xx(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/track").status_code == 422
    oversized = app_client.get("/api/v1/track", params={"reference": "D" * 41, "code": "x"})
    assert oversized.status_code == 422
    bad_lang = app_client.get(
        "/api/v1/track", params={"reference": "DG", "code": "x", "lang": "de"}
    )
    assert bad_lang.status_code == 422


def test_a_new_code_replaces_the_old_one_for_the_owning_client_only(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("yinzhengtong")
    created = create(app_client, bank, "yinzhengtong")
    url = f"/api/v1/applications/{created['id']}/tracking-code"
    assert app_client.post(url, headers=api_client_for("yinzhengtong")).status_code == 404
    renewed = app_client.post(url, headers=bank)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["tracking_reference"] == created["tracking_reference"]
    reference = created["tracking_reference"]
    assert track(app_client, reference, created["tracking_code"]).status_code == 404
    assert track(app_client, reference, renewed.json()["tracking_code"]).status_code == 200


def test_an_expected_time_from_recent_decisions_of_the_category(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    from registration.domain.workflow import Role

    bank = api_client_for("paris")
    front = officer(Role.FRONT_DESK)
    decided = create(app_client, bank, "paris")
    act(app_client, bank, decided["id"], "submit")
    act(app_client, front, decided["id"], "accept")
    food = officer(Role.BACK_OFFICE, ("food_safety",))
    assert act(app_client, food, decided["id"], "approve").json()["status"] == "approved"
    waiting = create(
        app_client,
        bank,
        "paris",
        company={
            **decided["data"]["company"],
            "name": {**decided["data"]["company"]["name"], "zh": "东莞市巴黎甜品食品科技有限公司"},
        },
    )
    act(app_client, bank, waiting["id"], "submit")
    case = track(app_client, waiting["tracking_reference"], waiting["tracking_code"]).json()
    estimate = case["expected_decision"]
    assert estimate["basis"] == "recent_decisions"
    assert estimate["sample_size"] == 1
    assert estimate["seconds"] is not None
    assert estimate["seconds"] >= 0
