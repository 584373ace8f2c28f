"""The authority's calendar: legal dates (establishment, issue, document validity) are days in
China Standard Time, whatever the server's timezone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA_TIME = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    return datetime.now(CHINA_TIME).date()
