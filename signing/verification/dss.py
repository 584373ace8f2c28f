"""The Document Security Store (ISO 32000-2 §12.8.4.3) and the validation data for one document.

A PAdES B-LT licence carries its certificates and CRLs in the DSS, which is why it verifies
offline. The DSS is attacker-controlled, so it is counted and size-capped while it is decoded,
before anything is parsed; the current CRLs the caller gives join it (trusted, since they do
not come from the document)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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

from signing.verification.cache import _Crl, _ParseCache
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


def _validation_data(
    reader: PdfFileReader,
    trust_roots: Sequence[x509.Certificate],
    current_crls: Callable[[], Iterable[bytes]],
    parsed: _ParseCache,
) -> _Data:
    """The certificates and CRLs to validate with: the DSS's, and the current CRLs (asked
    for once the DSS has passed its bounds)."""
    dss = _read_dss(reader)
    certs = [parsed.cert(der) for der in dss.certificates]
    # Current CRLs come from the service or the operator, not from the document: trusted.
    current = [parsed.crl(der, trusted=True) for der in current_crls()]
    if len(dss.crls) + len(current) > _MAX_CRLS:
        raise _Refused(
            _format_failure("too_much_validation_data", "more CRLs than a licence's chain needs")
        )
    pool = [*trust_roots, *(parsed.crypto(c) for c in certs)]
    issuers: list[x509.Certificate] | None = None

    def trusted_issuers() -> list[x509.Certificate]:
        nonlocal issuers
        if issuers is None:
            issuers = _trusted_issuers(trust_roots, pool, parsed)
        return issuers

    crls = [*(parsed.crl(der, issuers=trusted_issuers) for der in dss.crls), *current]
    return _Data(dss, certs, crls, pool, bool(current))


def _trusted_issuers(
    trust_roots: Sequence[x509.Certificate],
    pool: Sequence[x509.Certificate],
    parsed: _ParseCache,
) -> list[x509.Certificate]:
    """The trust roots and every certificate of `pool` that chains to one by signatures
    alone (no validity or revocation check: this decides only what may be cached)."""
    trusted = list(trust_roots)
    candidates = [c for c in pool if c not in trusted]
    grown = True
    while grown and candidates:
        grown = False
        for cert in list(candidates):
            if parsed.certified(cert, trusted):
                trusted.append(cert)
                candidates.remove(cert)
                grown = True
    return trusted


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
