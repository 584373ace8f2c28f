"""The Paris manual path done by clicking, in headless Chromium against a real server: a bank
submits, the front desk returns it with two itemised reasons, the bank resubmits, the front desk
accepts, another category's back office cannot see it, the food-safety officer approves, and the
licence appears in the registrar's list. No page may break its Content-Security-Policy; axe-core
finds no WCAG 2.2 A/AA violation on any console page; /docs and /redoc work with the network
blocked.

Screenshots go to the test's temporary directory; with BIZREG_UPDATE_SCREENSHOTS=1 they also
replace docs/console-*.png.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfgen import canvas
from sqlmodel import Session

from registration.db import create_db_engine
from registration.domain.workflow import Role
from registration.services import accounts
from tests.conftest import example
from tests.issuance.live import LiveService, live_service
from tests.terminals.support import attest_over_http
from tests.tooling import require_tool
from tests.web.test_verify_browser import CHROMIUM_ARGS

DOCS = Path(__file__).resolve().parents[2] / "docs"
AXE_DIR = Path(__file__).resolve().parents[2] / ".venv" / "npm-axe"
PASSWORD = "console-browser-password"
TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1280, "height": 900}


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
    with live_service(tmp_path_factory.mktemp("live-console")) as live:
        yield live


@pytest.fixture(scope="module")
def axe_script() -> str:
    """axe-core from the npm registry, installed once beside the venv."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = require_tool("npm", "npm")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR), "axe-core@4"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return script.read_text()


def _officer(service: LiveService, role: Role, categories: tuple[str, ...] = ()) -> str:
    username = f"{role.value.replace('_', '-')}-{len(categories)}-{os.urandom(2).hex()}"
    engine = create_db_engine(service.settings.effective_database_url)
    with Session(engine) as session:
        accounts.add_officer(session, username, role, PASSWORD, categories, by="test")
    engine.dispose()
    return username


class Watched:
    """A page whose CSP violations and uncaught errors are collected."""

    def __init__(self, browser: Any, viewport: dict[str, int], locale: str = "zh-CN") -> None:
        self.context = browser.new_context(viewport=viewport, locale=locale)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(m.text)
                if "Content Security Policy" in m.text or m.type == "error"
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def sign_in_by_keyboard(self, base_url: str, username: str) -> None:
        self.page.goto(f"{base_url}/console/login")
        self.page.focus("#username")
        self.page.keyboard.type(username)
        self.page.keyboard.press("Tab")
        self.page.keyboard.type(PASSWORD)
        self.page.keyboard.press("Enter")
        self.page.wait_for_url(lambda url: "/console/login" not in url)

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("BIZREG_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS / f"{name}.png")


def _articles_pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Articles of association - clause 12 (non-standard)")
    page.save()
    return out.getvalue()


def _paris_submitted(service: LiveService) -> tuple[str, dict[str, str]]:
    bank = service.client_headers("paris")
    app_id = service.http.post("/api/v1/applications", json=example("paris"), headers=bank).json()[
        "id"
    ]
    uploaded = service.http.post(
        f"/api/v1/applications/{app_id}/documents",
        files={"file": ("statuts.pdf", _articles_pdf(), "application/pdf")},
        headers=bank,
    )
    assert uploaded.status_code == 201, uploaded.text
    attest_over_http(service.http, bank, app_id)
    submitted = service.http.post(f"/api/v1/applications/{app_id}/submit", headers=bank)
    assert submitted.json()["status"] == "submitted", submitted.text  # the manual path
    return app_id, bank


def _open_from_queue(page: Any, company: str) -> None:
    page.click("nav >> text=" + page.inner_text("nav a[aria-current=page]"))
    page.click(f"table.queue >> text={company}")
    page.wait_for_selector("#company-h")


def test_paris_manual_path_by_clicking(
    browser: Any, service: LiveService, axe_script: str, tmp_path: Path
) -> None:
    app_id, bank = _paris_submitted(service)
    company = example("paris")["company"]["name"]["zh"]
    base = service.base_url

    # Front desk: sign in from the keyboard, find it in the queue, take it, return it.
    front = Watched(browser, DESKTOP)
    _shot_login = front.page
    _shot_login.goto(f"{base}/console/login")
    _shot(_shot_login, tmp_path, "console-1-sign-in")
    front.sign_in_by_keyboard(base, _officer(service, Role.FRONT_DESK))
    assert company in front.page.inner_text("table.queue")
    assert front.page.inner_text("nav .count").strip() != "0"
    _shot(front.page, tmp_path, "console-2-front-desk-queue")
    _axe(front.page, axe_script)
    front.page.click(f"table.queue >> text={company}")
    assert "Claire DUBOIS" in front.page.inner_text("#main")
    assert "statuts.pdf" in front.page.inner_text("#main")
    front.page.click("button:has-text('领取办理')")
    assert "由您办理" in front.page.inner_text("#claim-h + p")
    front.page.select_option("#reason_0", "articles_non_standard")
    front.page.fill("#note_0", "第12条与标准文本不同。")
    front.page.select_option("#reason_1", "missing_document")
    front.page.fill("#note_1", "请上传法国股东的注册证明。")
    _shot(front.page, tmp_path, "console-3-return-with-reasons")
    _axe(front.page, axe_script)
    front.page.click("button[value=return]")
    assert front.page.locator("[role=status]").count() == 1
    assert "returned" in front.page.inner_text(".tag")
    history = front.page.inner_text("ol.timeline")
    assert "company.articles_of_association" in history
    assert "documents" in history

    # The bank corrects and resubmits.
    attest_over_http(service.http, bank, app_id)
    again = service.http.post(f"/api/v1/applications/{app_id}/resubmit", headers=bank)
    assert again.json()["status"] == "submitted", again.text

    # Front desk accepts.
    front.page.goto(f"{base}/console/queue")
    front.page.click(f"table.queue >> text={company}")
    front.page.click("button[value=accept]")
    assert "accepted" in front.page.inner_text(".tag")
    _shot(front.page, tmp_path, "console-4-accepted")
    front.close()

    # Another category's back office sees neither the row nor the page.
    general = Watched(browser, TABLET, locale="en-GB")
    general.sign_in_by_keyboard(base, _officer(service, Role.BACK_OFFICE, ("general",)))
    assert company not in general.page.inner_text("#main")
    answer = general.page.goto(f"{base}/console/applications/{app_id}")
    assert answer is not None
    assert answer.status == 404
    assert "Application not found" in general.page.inner_text("h1")
    general.problems.remove(  # the 404 asked for, which Chromium reports in the console
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    )
    _shot(general.page, tmp_path, "console-5-other-category-cannot-see")
    general.close()

    # The food-safety back office approves (tablet width, English).
    food = Watched(browser, TABLET, locale="en-GB")
    food.sign_in_by_keyboard(base, _officer(service, Role.BACK_OFFICE, ("food_safety",)))
    food.page.click(f"table.queue >> text={company}")
    assert "permit needed" in food.page.inner_text("#main")
    food.page.click("button:has-text('Take it')")
    food.page.click("button[value=approve]")
    assert food.page.inner_text(".tag") in ("approved", "issued")
    _shot(food.page, tmp_path, "console-6-approved-tablet")
    _axe(food.page, axe_script)
    food.close()

    service.wait_issued(app_id, bank)

    # The registrar finds the licence.
    registrar = Watched(browser, DESKTOP)
    registrar.sign_in_by_keyboard(base, _officer(service, Role.REGISTRAR_ADMIN))
    registrar.page.fill("#q", "塞纳")
    registrar.page.click("button[type=submit]:has-text('筛选')")
    assert company in registrar.page.inner_text("table.queue")
    _shot(registrar.page, tmp_path, "console-7-registrar-licences")
    _axe(registrar.page, axe_script)
    registrar.page.click(f"table.queue >> text={company}")
    registrar.page.fill("#reason", "以欺骗手段取得登记（测试）")
    registrar.page.click("button[value=propose]")
    assert registrar.page.locator("button[value=confirm]").count() == 0  # not the proposer
    _shot(registrar.page, tmp_path, "console-8-revocation-proposed")
    _axe(registrar.page, axe_script)
    registrar.page.click("nav >> text=操作记录")
    assert "第12条与标准文本不同" in registrar.page.inner_text("table.queue")
    _axe(registrar.page, axe_script)
    registrar.page.click("button:has-text('退出')")
    registrar.page.wait_for_url("**/console/login")
    registrar.page.goto(f"{base}/console/licences")
    assert registrar.page.url.endswith("/console/login")
    registrar.close()


def _axe(page: Any, script: str) -> None:
    """axe-core in a copy of the page whose CSP lets the test inject it (the page's own CSP
    rightly refuses injected script)."""
    context = page.context.browser.new_context(
        bypass_csp=True,
        viewport=page.viewport_size,
        storage_state=page.context.storage_state(),
    )
    copy = context.new_page()
    copy.goto(page.url)
    copy.add_script_tag(content=script)
    result = copy.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    context.close()
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not violations, (page.url, violations)


def test_api_docs_work_with_the_network_blocked(browser: Any, service: LiveService) -> None:
    context = browser.new_context(viewport=DESKTOP)
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(service.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{service.base_url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "bizreg" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 20
    page.goto(f"{service.base_url}/redoc")
    page.wait_for_selector("h1", timeout=20_000)
    assert "bizreg" in page.inner_text("h1")
    context.close()
    assert not outside, outside
    # ReDoc's footer asks for its logo from its CDN; the CSP blocks it before any network
    # access (which is the point). Nothing of our own may be blocked.
    ours = [v for v in violations if "cdn.redoc.ly" not in v]
    assert not ours, ours
