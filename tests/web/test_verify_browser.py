"""The verification page in a real browser (headless Chromium via Playwright) against a real
server: upload a genuine and a tampered licence and read the verdict on screen; open the page
the licence's QR code leads to.

Screenshots go to the test's temporary directory; with BIZREG_UPDATE_SCREENSHOTS=1 they also
replace the ones in docs/ (verify-*.png).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from registration.db import create_db_engine
from templates import read_licence_data
from tests.conftest import example
from tests.issuance.live import LiveService, live_service
from tests.terminals.support import attest_over_http
from tests.tooling import require_tool
from tests.verification import attacks

DOCS = Path(__file__).resolve().parents[2] / "docs"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("live-web")) as live:
        yield live


@pytest.fixture(scope="module")
def licence(service: LiveService, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A licence issued by the live service (Hong Kong channel), and a tampered copy."""
    bank = service.client_headers("hong_kong")
    app_id = service.http.post(
        "/api/v1/applications", json=example("hong_kong"), headers=bank
    ).json()["id"]
    attest_over_http(service.http, bank, app_id)  # the bank's identity checks
    status = service.http.post(f"/api/v1/applications/{app_id}/submit", headers=bank).json()
    assert status["status"] == "approved", status  # the instant path
    link = service.wait_issued(app_id, bank)["licence"]
    pdf = service.http.get(link["pdf_url"], headers=bank).content  # type: ignore[index]
    directory = tmp_path_factory.mktemp("upload")
    paths = {
        "genuine": directory / "licence.pdf",
        "tampered": directory / "licence-altered.pdf",
    }
    paths["genuine"].write_bytes(pdf)
    paths["tampered"].write_bytes(attacks.replace_page_content(pdf))
    return paths


def _screenshot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.evaluate("document.fonts.ready")  # the CJK web font, for a reader without one
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("BIZREG_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS / f"{name}.png")


def _upload(browser: Any, service: LiveService, pdf: Path, language: str) -> Any:
    page = browser.new_page(viewport={"width": 1000, "height": 900}, locale=language)
    page.goto(f"{service.base_url}/verify")
    page.set_input_files("#file", str(pdf))
    page.click("#verify-button")
    page.wait_for_selector("#verdict", timeout=10_000)
    return page


def test_genuine_licence_shows_green(
    browser: Any, service: LiveService, licence: dict[str, Path], tmp_path: Path
) -> None:
    page = _upload(browser, service, licence["genuine"], "en-GB")
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-verdict") == "in_force"
    assert "Genuine and in force" in verdict.inner_text()
    assert "issued by the registration authority" in page.inner_text("#reason")
    colour = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(230, 244, 234)"  # --good-bg
    assert "陳大文" in page.inner_text("#licence-data")
    _screenshot(page, tmp_path, "verify-genuine")
    page.close()


def test_tampered_licence_shows_red_with_the_reason(
    browser: Any, service: LiveService, licence: dict[str, Path], tmp_path: Path
) -> None:
    page = _upload(browser, service, licence["tampered"], "zh-CN")
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-verdict") == "invalid"
    assert "验证失败" in verdict.inner_text()
    assert "签名后被追加修改" in page.inner_text("#reason")
    colour = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(252, 232, 230)"  # --bad-bg
    _screenshot(page, tmp_path, "verify-tampered")
    # The toggle shows the same page in English.
    page.click("#lang-toggle")
    assert "Verify a business licence" in page.inner_text("h1")
    page.close()


def test_qr_code_link_shows_the_public_status(
    browser: Any, service: LiveService, licence: dict[str, Path], tmp_path: Path
) -> None:
    url = read_licence_data(licence["genuine"].read_bytes())["verification_url"]
    assert url.startswith(f"{service.base_url}/verify/")
    page = browser.new_page(viewport={"width": 1000, "height": 900}, locale="zh-CN")
    page.goto(url)
    assert page.locator("#verdict").get_attribute("data-status") == "active"
    assert "该执照当前有效" in page.inner_text("#verdict")
    assert "陳大文" in page.inner_text("#licence-data")
    _screenshot(page, tmp_path, "verify-status")
    page.close()


def test_a_row_rewritten_behind_the_service_is_not_trusted(
    browser: Any, service: LiveService, licence: dict[str, Path], tmp_path: Path
) -> None:
    """Someone with database access changes the licence's recorded hash: the page does not
    call the genuine file a forgery, nor the licence in force; it says the record is suspect.
    (Last in this module: it restores the row at the end.)"""
    pdf = licence["genuine"].read_bytes()
    uscc = read_licence_data(pdf)["uscc"]
    engine = create_db_engine(service.settings.effective_database_url)
    with engine.begin() as connection:
        original = connection.execute(
            text("SELECT sha256 FROM licence WHERE uscc = :u"), {"u": uscc}
        ).scalar_one()
        connection.execute(
            text("UPDATE licence SET sha256 = :h WHERE uscc = :u"), {"h": "ab" * 32, "u": uscc}
        )
    try:
        page = _upload(browser, service, licence["genuine"], "en-GB")
        verdict = page.locator("#verdict")
        assert verdict.get_attribute("data-verdict") == "indeterminate"
        assert "transparency log" in page.inner_text("#reason")
        _screenshot(page, tmp_path, "verify-registry-inconsistent")
        page.close()
        status = browser.new_page(viewport={"width": 1000, "height": 900}, locale="en-GB")
        status.goto(read_licence_data(pdf)["verification_url"] + "&lang=en")
        assert status.locator("#verdict").get_attribute("data-status") == "registry_inconsistent"
        assert "cannot be confirmed" in status.inner_text("#verdict")
        status.close()
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE licence SET sha256 = :h WHERE uscc = :u"), {"h": original, "u": uscc}
            )
        engine.dispose()
