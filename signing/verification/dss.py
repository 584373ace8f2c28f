"""The Document Security Store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import (
    DecodePurpose,
)
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader

from signing.verification.cache import _Crl
from signing.verification.limits import (
    _MAX_CERTIFICATE_BYTES,
    _MAX_CERTIFICATES,
    _MAX_CRL_BYTES,
    _MAX_CRLS,
    _MAX_VALIDATION_DATA_BYTES,
)
from signing.verification.report import _format_failure, _Refused

__all__ = []


@dataclass(frozen=True, slots=True)
class _Dss:
    certificates: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    ocsps: int = 0

    @property
    def present(self) -> bool:
        return bool(self.crls or self.ocsps)


@dataclass(frozen=True, slots=True)
class _Data:
    """Validation data for one document: its DSS, parsed, plus the current CRLs."""

    dss: _Dss
    certs: list[asn1_x509.Certificate]
    crls: list[_Crl]
    pool: list[x509.Certificate]  # trust roots and DSS certificates, for container checks
    have_current: bool


def _read_dss(reader: PdfFileReader) -> _Dss:
    """The Document Security Store (ISO 32000-2 §12.8.4.3) of the newest revision, counted
    before anything is decoded, and each item's size capped while it is decoded (before it is
    parsed)."""
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return _Dss()  # B-B or B-T
    certs = list(dss.get("/Certs", ()))
    crls = list(dss.get("/CRLs", ()))
    ocsps = list(dss.get("/OCSPs", ()))
    if len(certs) > _MAX_CERTIFICATES or len(crls) > _MAX_CRLS:
        raise _Refused(
            _format_failure(
                "too_much_validation_data",
                "the DSS holds more certificates or CRLs than a licence's chain needs",
            )
        )
    budget = [_MAX_VALIDATION_DATA_BYTES]
    return _Dss(
        tuple(_dss_item(ref, DecodePurpose.CERTIFICATE, budget) for ref in certs),
        tuple(_dss_item(ref, DecodePurpose.CRL, budget) for ref in crls),
        len(ocsps),
    )


def _dss_item(ref: Any, purpose: DecodePurpose, budget: list[int]) -> bytes:
    """One DSS certificate or CRL, refused when larger than any genuine one (the decoder stops
    at the cap, see `_DECODE_LIMITS`; an unfiltered stream is measured) or when the DSS as a
    whole exceeds `_MAX_VALIDATION_DATA_BYTES` (`budget`: what is left of it)."""
    what, cap = (
        ("a certificate", _MAX_CERTIFICATE_BYTES)
        if purpose is DecodePurpose.CERTIFICATE
        else ("a CRL", _MAX_CRL_BYTES)
    )
    too_large = _format_failure(
        "too_much_validation_data",
        f"the DSS holds {what} larger than {cap} bytes, or more than "
        f"{_MAX_VALIDATION_DATA_BYTES} bytes of validation data in all",
    )
    try:
        data: bytes = ref.get_object().read_data(purpose)
    except PdfDecodeLimitError as exc:
        raise _Refused(too_large) from exc
    budget[0] -= len(data)
    if len(data) > cap or budget[0] < 0:
        raise _Refused(too_large)
    return data


def _dss_entries(resolver: HistoricalResolver) -> set[tuple[int, int]]:
    """The objects a revision's DSS lists (certificates, CRLs, OCSP responses), by reference."""
    dss = _dereferenced(resolver.root, "/DSS")
    if not isinstance(dss, generic.DictionaryObject):
        return set()
    entries: set[tuple[int, int]] = set()
    for key in ("/Certs", "/CRLs", "/OCSPs"):
        items = _dereferenced(dss, key)
        if not isinstance(items, generic.ArrayObject):
            continue
        for index in range(len(items)):
            item = items.raw_get(index)
            if isinstance(item, generic.IndirectObject):
                entries.add((item.idnum, item.generation))
    return entries


def _dereferenced(dictionary: generic.DictionaryObject, key: str) -> Any:
    """`dictionary[key]`, resolved (`.get` returns an indirect reference as it is: the DSS is
    one, its arrays may be), or None."""
    try:
        return dictionary[key]
    except KeyError:
        return None
