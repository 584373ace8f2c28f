"""A returned Hong Kong application from the investor's side, in headless Chromium at phone
width: the tracking page in Traditional Chinese (the channel's language) with the itemised
reasons, the return notice downloaded and verified on /verify (it says it is a notice, not a
licence), the page switched to French. The e-mail of the return reaches a real SMTP server on
loopback; the test prints how long that took. No page may break its Content-Security-Policy.

Screenshots go to the test's temporary directory; with BIZREG_UPDATE_SCREENSHOTS=1 they also
replace docs/track-*.png.
"""

from __future__ import annotations

import email
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from registration.domain.workflow import Role
from tests.conftest import example
from tests.console.test_console_browser import Watched
from tests.investors.support import RETURN_REASONS
from tests.investors.test_mail import Inbox, _free_port
from tests.issuance.live import LiveService, live_service
from tests.terminals.support import attest_over_http
from tests.tooling import require_tool
from tests.web.test_verify_browser import CHROMIUM_ARGS

DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, inbox: tuple[Inbox, int]
) -> Iterator[LiveService]:
    with live_service(
        tmp_path_factory.mktemp("live-track"),
        background=True,
        smtp_url=f"smtp://127.0.0.1:{inbox[1]}",
    ) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("BIZREG_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS / f"{name}.png")


def _returned_hong_kong(service: LiveService) -> tuple[dict[str, Any], float]:
    bank = service.client_headers("hong_kong")
    body = example("hong_kong")
    body["company"]["business_scope"] = example("paris")["company"]["business_scope"]
    created = service.http.post("/api/v1/applications", json=body, headers=bank).json()
    attest_over_http(service.http, bank, created["id"])
    submitted = service.http.post(f"/api/v1/applications/{created['id']}/submit", headers=bank)
    assert submitted.json()["status"] == "submitted", submitted.text
    front = service.officer_headers(Role.FRONT_DESK)
    returned = service.http.post(
        f"/api/v1/applications/{created['id']}/return",
        json={"reasons": RETURN_REASONS},
        headers=front,
    )
    assert returned.status_code == 200, returned.text
    return created, time.monotonic()


def _wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_returned_hong_kong_case_from_the_investors_phone(
    browser: Any, service: LiveService, inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    box, _ = inbox
    created, returned_at = _returned_hong_kong(service)

    # The e-mail of the return, through the mail worker, to the loopback SMTP server.
    def returned_mail() -> list[Any]:
        return [
            m
            for m in box.received
            if "退回補正" in str(email.header.make_header(email.header.decode_header(m["Subject"])))
        ]

    _wait_for(lambda: bool(returned_mail()))
    arrived = box.arrived_at[box.received.index(returned_mail()[0])]
    print(f"\nstatus change → e-mail at the SMTP server: {(arrived - returned_at) * 1000:.0f} ms")

    watched = Watched(browser, PHONE, locale="zh-HK")
    page = watched.page
    page.goto(f"{service.base_url}/track")
    _shot(page, tmp_path, "track-1-form")
    page.fill("#reference", created["tracking_reference"])
    page.fill("#code", created["tracking_code"])
    page.click("button[type=submit]")
    page.wait_for_selector("#status")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.inner_text("#status") == "退回補正"
    fixes = page.inner_text("#to-fix")
    assert "住所資訊不完整或無法核實，請補充。" in fixes
    assert "company.domicile" in fixes
    assert "门牌号与不动产登记不符" in fixes
    # The page fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The return notice, once the issuance worker has signed it.
    _wait_for(lambda: _signed_notices(service, created) >= 1)
    page.click("button.link[value='en']")  # re-post in English, then back
    page.wait_for_selector("#status")
    assert page.inner_text("#status") == "Returned for correction"
    page.click("button.link[value='zh-Hant']")
    page.wait_for_selector("#notices form button")
    _shot(page, tmp_path, "track-2-returned-zh-Hant")
    with page.expect_download() as download_info:
        page.click("#notices form button")
    notice_path = tmp_path / "return-notice.pdf"
    download_info.value.save_as(str(notice_path))
    assert notice_path.read_bytes().startswith(b"%PDF-")

    page.goto(f"{service.base_url}/verify?lang=zh")
    page.set_input_files("#file", str(notice_path))
    page.click("#verify-button")
    page.wait_for_selector("#verdict")
    assert page.get_attribute("#verdict", "data-verdict") == "authentic"
    assert "不是营业执照" in page.inner_text("#verdict")
    assert page.get_attribute("#notice-kind", "data-kind") == "return"
    assert page.inner_text("#registry-status") == "是"
    _shot(page, tmp_path, "track-3-notice-verified")

    # French, from the form page's switcher.
    page.goto(f"{service.base_url}/track?lang=fr")
    page.fill("#reference", created["tracking_reference"])
    page.fill("#code", created["tracking_code"])
    page.click("button[type=submit]")
    page.wait_for_selector("#to-fix")
    assert "L’adresse du siège" in page.inner_text("#to-fix")
    _shot(page, tmp_path, "track-4-returned-fr")
    watched.close()


def _signed_notices(service: LiveService, created: dict[str, Any]) -> int:
    case = service.http.get(
        "/api/v1/track",
        params={"reference": created["tracking_reference"], "code": created["tracking_code"]},
    ).json()
    return sum(1 for n in case["notices"] if n["signed"])


def test_a_wrong_code_on_the_page_says_so_without_telling_which_part_was_wrong(
    browser: Any, service: LiveService, tmp_path: Path
) -> None:
    watched = Watched(browser, PHONE, locale="en-GB")
    page = watched.page
    page.goto(f"{service.base_url}/track?lang=en")
    page.fill("#reference", "DG-0000-0000-00")
    page.fill("#code", "AAAA-AAAA-AAAA-AAAA-AAAA")
    page.click("button[type=submit]")
    page.wait_for_selector("#error")
    assert "No such case" in page.inner_text("#error")
    _shot(page, tmp_path, "track-5-wrong-code")
    # The page itself answers 404 (as the API does); the browser logs that, nothing else.
    assert watched.problems == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
    watched.problems.clear()
    watched.close()
