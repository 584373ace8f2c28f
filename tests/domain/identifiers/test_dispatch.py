"""The dispatchers, and every identity and registration number in the contract examples."""

from __future__ import annotations

import pytest

from registration.domain.identifiers import (
    ChecksumMismatch,
    CnIdCard,
    IdentifierError,
    InvalidFormat,
    InvalidLength,
    MrzMismatch,
    Passport,
    Siren,
    UnsupportedType,
    Uscc,
    validate_document,
    validate_registration,
)
from tests.domain.identifiers.support import ICAO_SPECIMEN, TODAY, load_contract


@pytest.mark.parametrize(
    "filename",
    ["application-yinzhengtong.json", "application-hong-kong.json", "application-paris.json"],
)
def test_every_contract_document_validates(filename: str) -> None:
    application = load_contract(filename)
    for person in application["persons"]:
        document = person["document"]
        parsed = validate_document(
            document["type"], document["number"], document.get("mrz"), today=TODAY
        )
        assert parsed.doc_type == document["type"]
        if isinstance(parsed, CnIdCard):
            assert parsed.birth_date.isoformat() == person["birth_date"]
            assert parsed.sex == person["sex"]
    for shareholder in application["shareholders"]:
        if "entity" in shareholder:
            registration = shareholder["entity"]["registration"]
            check = validate_registration(registration["scheme"], registration["number"])
            assert check.flags == []


def test_attestation_document_validates() -> None:
    person = load_contract("attestation-claims.json")["person"]
    assert validate_document(person["document_type"], person["document_number"], today=TODAY)


def test_validate_document_canonical_numbers() -> None:
    assert validate_document("hkid", "v476312 (2)").number == "V4763122"
    assert validate_document("passport", "19ab12345") == Passport(number="19AB12345")


def test_passport_number_must_equal_the_mrz() -> None:
    with pytest.raises(MrzMismatch):
        validate_document("passport", "L898902C4", list(ICAO_SPECIMEN), today=TODAY)
    parsed = validate_document("passport", "L898902C3", list(ICAO_SPECIMEN), today=TODAY)
    assert isinstance(parsed, Passport)
    assert parsed.mrz is not None


@pytest.mark.parametrize(
    ("doc_type", "number", "mrz", "error"),
    [
        ("driving_licence", "X1", None, UnsupportedType),
        ("hkid", "V476312(2)", list(ICAO_SPECIMEN), InvalidFormat),
        ("passport", "L898902C30", None, InvalidLength),
        ("passport", " ", None, InvalidLength),
        ("passport", "L8989.2C3", None, InvalidFormat),
    ],
)
def test_validate_document_errors(
    doc_type: str, number: str, mrz: list[str] | None, error: type[IdentifierError]
) -> None:
    with pytest.raises(error):
        validate_document(doc_type, number, mrz, today=TODAY)


def test_validate_registration() -> None:
    received = validate_registration("cn_uscc", "91110000600037341M")
    assert received.number == "91110000600037341M"
    assert received.needs_review
    assert isinstance(received.parsed, Uscc)
    assert validate_registration("fr_siren", "730187440").parsed == Siren("730187440")
    with pytest.raises(UnsupportedType):
        validate_registration("de_hrb", "HRB 1234")
    with pytest.raises(ChecksumMismatch):
        validate_registration("fr_siren", "730187441")
