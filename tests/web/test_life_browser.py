"""The register and deregistration pages in headless Chromium against a real server: search in
each language and spelling, see a deregistration notice, lodge an objection through the form.

Screenshots go to the test's temporary directory; with BIZREG_UPDATE_SCREENSHOTS=1 they also
replace docs/register-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import example
from tests.issuance.live import LiveService
from tests.terminals.support import attest_over_http
from tests.web.test_verify_browser import _screenshot, browser, service

__all__ = ["browser", "service"]


def _issue(service: LiveService, bank: dict[str, str], zh: str, en: str) -> str:
    body = example("hong_kong")
    body["company"]["name"].update(zh=zh, en=en)
    app_id = service.http.post("/api/v1/applications", json=body, headers=bank).json()["id"]
    attest_over_http(service.http, bank, app_id)
    status = service.http.post(f"/api/v1/applications/{app_id}/submit", headers=bank).json()
    assert status["status"] == "approved", status
    link = service.wait_issued(app_id, bank)["licence"]
    return str(link["uscc"])  # type: ignore[index]


@pytest.fixture(scope="module")
def companies(service: LiveService) -> dict[str, str]:
    bank = service.client_headers("hong_kong")
    usccs = {
        "harbour": _issue(
            service, bank, "东莞市港湾咨询有限公司", "Dongguan Harbour Consulting Co., Ltd."
        ),
        "new_harbour": _issue(
            service, bank, "东莞市新港湾贸易有限公司", "Dongguan New Harbour Trading Co., Ltd."
        ),
    }
    filed = service.http.post(
        f"/api/v1/licences/{usccs['new_harbour']}/deregistration", headers=bank
    )
    assert filed.status_code == 201, filed.text
    usccs["notice"] = filed.json()["id"]
    return usccs


@pytest.mark.parametrize(
    ("language", "query", "heading"),
    [
        ("zh-Hans", "港湾", "企业登记公示查询"),
        ("zh-Hant", "港灣", "企業登記公示查詢"),
        ("en", "harbour", "Public company register"),
        ("fr", "HARBOUR", "Registre public des sociétés"),
    ],
)
def test_register_search_in_each_language(
    browser: Any,
    service: LiveService,
    companies: dict[str, str],
    tmp_path: Path,
    language: str,
    query: str,
    heading: str,
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800}, locale=language)
    page.goto(f"{service.base_url}/register?lang={language}")
    assert page.locator(".site").inner_text() == heading
    page.fill("#q", query)
    page.click("button[type=submit]")
    page.wait_for_selector("#count")
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 2
    text = page.locator("table.results").inner_text()
    assert companies["harbour"] in text
    assert companies["new_harbour"] in text
    # The company in its notice period links to the notice.
    page.locator("a.tag.warn").click()
    page.wait_for_selector("#dereg-status")
    assert "/deregistrations/" in page.url
    page.go_back()
    _screenshot(page, tmp_path, f"register-{language}")
    # No inline style or script in what we serve: the CSP forbids them.
    served = service.http.get(f"/register?lang={language}&q={query}").text
    assert "<style" not in served
    assert "<script" not in served
    assert " style=" not in served
    page.close()


def test_bad_search_is_explained_on_the_page(
    browser: Any, service: LiveService, companies: dict[str, str], tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 500}, locale="en")
    response = page.goto(f"{service.base_url}/register?lang=en&q=%25_%25")
    assert response.status == 422
    assert "Invalid search" in page.locator("[role=alert]").inner_text()
    _screenshot(page, tmp_path, "register-bad-query")
    page.close()


def test_objection_through_the_notice_page(
    browser: Any, service: LiveService, companies: dict[str, str], tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="fr")
    page.goto(f"{service.base_url}/deregistrations?lang=fr")
    page.locator("table.results a").first.click()
    page.wait_for_selector("#dereg-status")
    assert page.locator("#pending").inner_text() == "0"
    page.fill("#contact", "creancier@example.fr")
    page.fill("#reason", "Facture impayée de 12 000 EUR")
    page.click("button[type=submit]")
    page.wait_for_selector("#token")
    assert page.locator("#pending").inner_text() == "1"
    assert "creancier@example.fr" not in page.content()
    _screenshot(page, tmp_path, "register-deregistration-notice")
    page.close()


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
def test_statistics_page_for_the_auditor(
    browser: Any, service: LiveService, companies: dict[str, str], tmp_path: Path, language: str
) -> None:
    from registration.db import create_db_engine
    from registration.domain.workflow import Role
    from tests.life.test_statistics import _seed

    if language == "zh-Hans":  # once per module: the seeded history
        engine = create_db_engine(service.settings.effective_database_url)
        _seed(engine)
        engine.dispose()
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale=language)
    page.set_extra_http_headers(service.officer_headers(Role.AUDITOR))
    response = page.goto(
        f"{service.base_url}/statistics?lang={language}&from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z"
    )
    assert response.status == 200
    rows = page.locator("#figures tbody tr")
    assert rows.count() == 4  # overall + three channels
    overall = rows.first.inner_text()
    # The seeded 16 and this module's two companies (instant): 13 of 17 decided instantly,
    # below the 80% target.
    assert "76.5%" in overall
    assert page.locator("#figures tbody tr").first.locator(".target-missed").count() == 1
    assert page.locator("svg.chart-svg").count() == 5
    csv = service.http.get(
        page.locator("#csv").get_attribute("href"), headers=service.officer_headers(Role.AUDITOR)
    )
    assert csv.status_code == 200
    assert csv.text.startswith("scope,measure")
    _screenshot(page, tmp_path, f"statistics-{language}")
    page.close()
