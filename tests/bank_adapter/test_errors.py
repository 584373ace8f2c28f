"""The error tree: codes are unique, well-formed, exported, and drawn in the docstring."""

from __future__ import annotations

import re

import bank_adapter
from bank_adapter import errors
from bank_adapter.errors import BankAdapterError


def _tree(cls: type[BankAdapterError]) -> set[type[BankAdapterError]]:
    return {cls} | {sub for direct in cls.__subclasses__() for sub in _tree(direct)}


ALL = _tree(BankAdapterError)


def test_codes_are_unique_and_snake_case() -> None:
    codes = [cls.code for cls in ALL]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", code) for code in codes)


def test_every_error_is_exported() -> None:
    for cls in ALL:
        assert cls.__name__ in bank_adapter.__all__
        assert getattr(bank_adapter, cls.__name__) is cls


def test_the_docstring_draws_every_leaf_with_its_code() -> None:
    doc = errors.__doc__ or ""
    for cls in ALL:
        if not cls.__subclasses__():
            assert re.search(rf"\b{cls.__name__}\s+{cls.code}\b", doc), cls.__name__


def test_messages_default_to_the_class_docstring() -> None:
    error = errors.SignatureMissing()
    assert (
        str(error) == error.detail == "The request carries no Signature / Signature-Input fields."
    )
    assert str(errors.UnknownKey("no key 'x'")) == "no key 'x'"


def test_public_api_resolves() -> None:
    for name in bank_adapter.__all__:
        assert hasattr(bank_adapter, name), name
