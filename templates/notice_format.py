"""What identifies a notice PDF's embedded data: constants a verifier needs without the notice's
renderer (reportlab and the fonts, `notice.py`)."""

from __future__ import annotations

from typing import Final

NOTICE_ATTACHMENT_NAME: Final = "notice.json"
NOTICE_FORMAT: Final = "bizreg-notice/1"
NOTICE_KINDS: Final = ("acceptance", "return", "rejection", "approval", "withdrawal")
