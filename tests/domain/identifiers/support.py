"""What the identifier tests share: the contract examples, a fixed today, and the ICAO specimen."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

CONTRACT = Path(__file__).resolve().parents[2] / "contract"
TODAY = date(2025, 11, 29)
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# The specimen passport MRZ of ICAO Doc 9303 (Utopia, Anna Maria Eriksson).
ICAO_SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def load_contract(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONTRACT / name).read_text("utf-8"))
    return data


def substitute(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]
