"""Problem messages in the caller's language (Accept-Language): Hong Kong reads Traditional
Chinese, Paris reads French; codes and field paths never change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

import bank_adapter
from registration.http.localisation import LANGUAGES, catalogue, negotiate
from tests.conftest import example
from tests.terminals.conftest import MakeTerminal

Headers = dict[str, str]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, None),
        ("", None),
        ("zh-HK", "zh-Hant"),
        ("zh-TW,zh;q=0.8", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("zh-Hans-HK", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE, en;q=0.5", "en"),
        ("en;q=0.4, fr;q=0.7", "fr"),
        ("fr;q=0, en", "en"),
        ("de, *", None),
        ("en;q=bogus, fr", "fr"),
    ],
)
def test_accept_language_negotiation(header: str | None, language: str | None) -> None:
    assert negotiate(header) == language


def test_every_message_exists_in_every_language() -> None:
    for code, entry in catalogue().items():
        assert set(entry) == set(LANGUAGES), code
        for language in LANGUAGES:
            assert entry[language]["title"], (code, language)
            assert ("detail" in entry[language]) == ("detail" in entry["en"]), (code, language)


def test_every_terminal_protocol_code_has_a_message() -> None:
    codes = {
        getattr(bank_adapter, name).code
        for name in bank_adapter.__all__
        if isinstance(getattr(bank_adapter, name), type)
        and issubclass(getattr(bank_adapter, name), bank_adapter.BankAdapterError)
    }
    # Library-internal bases and digest details that never reach the API as a problem.
    internal = {
        "bank_adapter_error",
        "request_signature_error",
        "attestation_invalid",
        "content_digest_invalid",
        "content_digest_missing",
        "content_digest_malformed",
        "content_digest_unsupported",
    }
    assert codes - internal <= set(catalogue())


def test_hong_kong_reads_traditional_chinese(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("hong_kong")
    app_id = app_client.post(
        "/api/v1/applications", json=example("hong_kong"), headers=bank
    ).json()["id"]
    refused = app_client.post(
        f"/api/v1/applications/{app_id}/submit", headers={**bank, "Accept-Language": "zh-HK"}
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "submission_checks_failed"
    assert problem["title"] == "申請暫不能提交"
    assert problem["detail"] == "請逐項更正所列問題後重新提交。"
    assert problem["errors"][0] == {
        "field": "persons[0]",
        "code": "attestation_missing",
        "message": problem["errors"][0]["message"],
    }
    assert refused.headers["content-language"] == "zh-Hant"
    assert "accept-language" in refused.headers["vary"].lower()


def test_paris_reads_french(make_terminal: MakeTerminal) -> None:
    terminal = make_terminal("paris")
    body = example("paris")
    body["company"]["registered_capital"]["currency"] = "CNY"
    refused = terminal.request(
        "POST", "/api/v1/applications", json_body=body, headers={"Accept-Language": "fr-FR"}
    )
    assert refused.status_code == 422
    assert refused.json()["title"] == "Validation échouée"
    assert refused.headers["content-language"] == "fr"

    stale = terminal.request(
        "GET",
        "/api/v1/queues/front-desk",
        headers={"Accept-Language": "fr"},
        keyid="unregistered-key",
    )
    assert stale.json()["code"] == "unknown_key"
    assert stale.json()["title"] == "Clé de signature inconnue"
    assert stale.json()["detail"] == "Aucune clé active n'est enregistrée sous ce keyid."


def test_english_keeps_the_specific_detail_and_no_header_changes_nothing(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    response = app_client.get("/api/v1/applications/nope", headers=bank)
    assert response.json()["title"] == "Not found"
    assert "content-language" not in response.headers
    english = app_client.get(
        "/api/v1/applications/nope", headers={**bank, "Accept-Language": "en-GB"}
    )
    assert english.json()["title"] == "Application not found"
    assert english.json()["detail"] == response.json()["detail"]  # "no application nope"
    simplified = app_client.get(
        "/api/v1/applications/nope", headers={**bank, "Accept-Language": "zh-CN"}
    )
    assert simplified.json()["title"] == "未找到该申请"
