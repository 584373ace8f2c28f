"""The public register: USCC or name in any spelling, only what the licence shows, paged,
rate-limited, bad queries refused with 4xx."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.issuance.authority import LicenceAuthority
from tests.conftest import row_counts
from tests.life.support import issue_company

Headers = dict[str, str]


@pytest.fixture
def companies(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> list[str]:
    bank = api_client_for("yinzhengtong")
    return [
        issue_company(
            app_client,
            engine,
            authority,
            bank,
            "yinzhengtong",
            zh="东莞市港湾咨询有限公司",
            en="Dongguan Harbour Consulting Co., Ltd.",
        ),
        issue_company(
            app_client,
            engine,
            authority,
            bank,
            "yinzhengtong",
            zh="东莞市新港湾贸易有限公司",
            en="Dongguan New Harbour Trading Co., Ltd.",
        ),
        issue_company(
            app_client,
            engine,
            authority,
            bank,
            "yinzhengtong",
            zh="东莞市蓝海贸易有限公司",
            en="Dongguan Blue Sea Trading Co., Ltd.",
        ),
    ]


def _search(client: TestClient, q: str, **params: object) -> dict[str, object]:
    response = client.get("/api/v1/register", params={"q": q, **params})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def _names(page: dict[str, object]) -> list[str]:
    entries = page["entries"]
    assert isinstance(entries, list)
    return sorted(x["company_name_zh"] for x in entries)  # collation order differs by database


def test_simplified_traditional_and_english_spellings_find_the_same_companies(
    app_client: TestClient, companies: list[str]
) -> None:
    both = sorted(["东莞市港湾咨询有限公司", "东莞市新港湾贸易有限公司"])
    assert _names(_search(app_client, "港湾")) == both
    assert _names(_search(app_client, "港灣")) == both  # Traditional
    assert _names(_search(app_client, "ＨＡＲＢＯＵＲ")) == both  # full-width, upper case
    assert _names(_search(app_client, "harbour  trading")) == ["东莞市新港湾贸易有限公司"]
    assert _names(_search(app_client, "東莞市港灣諮詢")) == ["东莞市港湾咨询有限公司"]
    assert _names(_search(app_client, "Blue-Sea")) == ["东莞市蓝海贸易有限公司"]


def test_by_uscc_and_only_what_the_licence_shows(
    app_client: TestClient, companies: list[str]
) -> None:
    page = _search(app_client, companies[2].lower())
    entries = page["entries"]
    assert isinstance(entries, list)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["uscc"] == companies[2]
    assert entry["status"] == "active"
    text = str(entry)
    # The licence prints the legal representative's name, never a document number or contact.
    assert "110101199003072316" not in text
    assert "@" not in text
    assert "+86" not in text


def test_paged(app_client: TestClient, companies: list[str]) -> None:
    first = _search(app_client, "东莞", size=2)
    second = _search(app_client, "东莞", size=2, page=2)
    assert first["total"] == second["total"] == 3
    assert len(_names(first)) == 2
    assert len(_names(second)) == 1
    assert not set(_names(first)) & set(_names(second))


@pytest.mark.parametrize(
    "query",
    ["%", "_%_", "' OR 1=1 --", "x", "\x00\x00", "港" + "\x00", "a" * 10_000, "*", "   "],
)
def test_bad_queries_are_refused_or_find_nothing_never_a_500(
    app_client: TestClient, companies: list[str], engine: Engine, query: str
) -> None:
    before = {k: v for k, v in row_counts(engine).items() if k != "security_event"}
    response = app_client.get("/api/v1/register", params={"q": query})
    # 400: a NUL, refused at the edge for every endpoint (unstorable_character).
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code == 400:
        assert "\x00" in query
        assert response.json()["code"] == "unstorable_character"
    elif response.status_code == 422:
        assert response.json()["code"] == "search_query_invalid"
    else:
        # Wildcards and SQL are text like any other: they match no name.
        assert response.json()["total"] == 0
    assert {k: v for k, v in row_counts(engine).items() if k != "security_event"} == before


def test_rate_limited_per_address_in_the_database(
    app_client: TestClient, companies: list[str]
) -> None:
    app_client.app.state.settings.register_searches_per_minute = 3  # type: ignore[attr-defined]
    codes = [app_client.get("/api/v1/register", params={"q": "港湾"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    refused = app_client.get("/api/v1/register", params={"q": "港湾"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
