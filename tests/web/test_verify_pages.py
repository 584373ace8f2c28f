"""/verify and /verify/{uscc}: server-rendered, in Chinese and English, verdict and reason."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.web.i18n import _from_accept_language
from tests.conftest import set_licence_status
from tests.verification import attacks
from tests.web.conftest import Issued


def _verdict(html: str) -> tuple[str, str]:
    """(data-verdict or data-status, the reason sentence) of a page."""
    match = re.search(r'data-(?:verdict|status)="([a-z_]+)"', html)
    reason = re.search(r'id="reason">([^<]*)<', html)
    assert match is not None
    assert reason is not None
    return match.group(1), reason.group(1)


def _upload(client: TestClient, pdf: bytes, lang: str = "en") -> str:
    response = client.post(
        f"/verify?lang={lang}", files={"file": ("licence.pdf", pdf, "application/pdf")}
    )
    assert response.status_code == 200, response.text
    return response.text


def test_upload_form_defaults_to_chinese(app_client: TestClient) -> None:
    page = app_client.get("/verify")
    assert page.status_code == 200
    assert page.headers["content-language"] == "zh-CN"
    assert "验证营业执照" in page.text
    assert 'enctype="multipart/form-data"' in page.text


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "en"),
        ("zh-TW,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5,zh;q=0.6", "zh"),
        ("de", "zh"),
        ("", "zh"),
    ],
)
def test_language_from_accept_language(header: str, language: str) -> None:
    assert _from_accept_language(header) == language


def test_language_toggle_is_remembered(app_client: TestClient) -> None:
    english = app_client.get("/verify?lang=en", headers={"accept-language": "zh-CN"})
    assert "Verify a business licence" in english.text
    assert english.cookies.get("lang") == "en"
    again = app_client.get("/verify", headers={"accept-language": "zh-CN"})
    assert "Verify a business licence" in again.text  # the cookie wins over the header


def test_genuine_licence_is_green_in_both_languages(app_client: TestClient, issued: Issued) -> None:
    english = _upload(app_client, issued.pdf, "en")
    assert _verdict(english) == (
        "in_force",
        "This licence is genuine and in force: issued by the registration authority, "
        "unaltered, and active in the registry.",
    )
    assert 'class="verdict good"' in english
    assert "東莞市" in english or "东莞市" in english  # the licence data is shown
    chinese = _upload(app_client, issued.pdf, "zh")
    assert _verdict(chinese)[0] == "in_force"
    assert "真实有效" in chinese


def test_tampered_licence_is_red_with_the_reason(app_client: TestClient, issued: Issued) -> None:
    page = _upload(app_client, attacks.replace_page_content(issued.pdf))
    verdict, reason = _verdict(page)
    assert verdict == "invalid"
    assert "changed after signing" in reason
    assert 'class="verdict bad"' in page
    assert "NOT verified" in page  # the claimed data is marked as such


def test_revoked_licence_says_so(app_client: TestClient, engine: Engine, issued: Issued) -> None:
    set_licence_status(engine, issued.uscc, "revoked", "false documents")
    page = _upload(app_client, issued.pdf)
    verdict, reason = _verdict(page)
    assert verdict == "not_in_force"
    assert "revoked on" in reason
    assert "false documents" in page
    status = app_client.get(f"/verify/{issued.uscc}?v=1&lang=en")
    verdict, reason = _verdict(status.text)
    assert (verdict, reason.split(" (")[0]) == ("revoked", "revoked — false documents")
    assert "NOT in force" in status.text


def test_not_a_pdf_shows_the_form_again(app_client: TestClient) -> None:
    response = app_client.post(
        "/verify?lang=en", files={"file": ("x.pdf", b"hello", "application/pdf")}
    )
    assert response.status_code == 400
    assert _verdict(response.text) == ("error", "The uploaded file is not a PDF.")


def test_qr_link_shows_the_registry_record(app_client: TestClient, issued: Issued) -> None:
    page = app_client.get(f"/verify/{issued.uscc}?v=1", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert _verdict(page.text)[0] == "active"
    assert "This licence is in force" in page.text
    assert issued.uscc in page.text
    # The toggle keeps the version the QR code asked for.
    assert f"/verify/{issued.uscc}?v=1&amp;lang=zh" in page.text


def test_unknown_licence_is_a_404_page(app_client: TestClient) -> None:
    page = app_client.get("/verify/91441900MA00000000?v=1")
    assert page.status_code == 404
    assert _verdict(page.text)[0] == "not_found"
