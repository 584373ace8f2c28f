"""Parsed certificates and CRLs, and the signature checks made on them, kept between documents.

Parsing and checking signatures dominate the cost of a verification, and every licence of one
authority carries the same CA certificates and CRLs; reusing parsed asn1crypto objects (which
memoise what they compute) saves most of the chain-validation work. Every cache is keyed by content
digest and bounded by its number of entries and, where entries hold parsed DER, by bytes; a
CRL is cached only when a trusted CA signed it, so an upload cannot fill the cache with CRLs
of its own making."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from signing.verification.limits import _MAX_CERTIFICATE_BYTES, _MAX_CRL_BYTES, MiB
from signing.verification.report import _SHA256

__all__: list[str] = []

# What the process-wide caches may hold, as DER bytes (parsed objects are a few times larger).
# Only certificates small enough for a DSS are cached; only CRLs signed by a trusted CA.
_CERTIFICATE_CACHE_BYTES: Final = MiB
_CRL_CACHE_BYTES: Final = 8 * MiB


@dataclass(frozen=True, slots=True)
class _Crl:
    der_sha256: bytes
    asn1: asn1_crl.CertificateList
    crl: x509.CertificateRevocationList


class _BoundedCache:
    """A small thread-safe LRU keyed by content digest, bounded by its number of entries and by
    their total weight (the DER bytes they were parsed from). Parsed asn1crypto objects memoise
    what they compute (names prepared for comparison, lazily parsed children), so reusing them
    across documents signed under the same CRLs saves most of the chain-validation work."""

    def __init__(self, size: int, max_bytes: int = 0, max_item_bytes: int | None = None) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._max_item_bytes = max_bytes if max_item_bytes is None else max_item_bytes
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def peek(self, key: Any) -> Any:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items.move_to_end(key)
            return entry[0]

    def put(self, key: Any, item: Any, weight: int = 0) -> None:
        if weight > self._max_item_bytes:
            return  # larger than anything worth keeping: used once, then dropped
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._items[key] = (item, weight)
            self._bytes += weight
            while len(self._items) > self._size or self._bytes > self._max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def get(self, key: Any, make: Callable[[], Any], weight: int = 0) -> Any:
        item = self.peek(key)
        if item is None:
            item = make()
            self.put(key, item, weight)
        return item


class _ParseCache:
    """Parsed certificates and CRLs, and the signature checks made between them, shared by
    every document one verifier checks. Thread-safe (each cache locks itself)."""

    def __init__(self) -> None:
        # Weightless entries are booleans keyed by two SHA-256 digests: bounded by their count.
        self._crls = _BoundedCache(64, _CRL_CACHE_BYTES, _MAX_CRL_BYTES)
        self._certs = _BoundedCache(256, _CERTIFICATE_CACHE_BYTES, _MAX_CERTIFICATE_BYTES)
        self._crl_checks = _BoundedCache(256)
        self._crypto_certs = _BoundedCache(256, _CERTIFICATE_CACHE_BYTES, _MAX_CERTIFICATE_BYTES)
        self._issued = _BoundedCache(1024)

    def usage(self) -> dict[str, tuple[int, int]]:
        """name → (entries, DER bytes)."""
        caches = {
            "crls": self._crls,
            "certificates": self._certs,
            "crypto_certificates": self._crypto_certs,
            "crl_checks": self._crl_checks,
            "issued": self._issued,
        }
        return {name: (len(cache), cache.bytes) for name, cache in caches.items()}

    def crl(
        self,
        der: bytes,
        *,
        trusted: bool = False,
        issuers: Callable[[], Sequence[x509.Certificate]] = list,
    ) -> _Crl:
        """The CRL parsed, from the cache if seen before. Only a CRL signed by a trusted CA
        (`issuers()`) is cached: anyone can put a CRL in a document, only our CAs can sign one."""
        key = hashlib.sha256(der).digest()
        cached: _Crl | None = self._crls.peek(key)
        if cached is not None:
            return cached
        crl = _Crl(key, asn1_crl.CertificateList.load(der), x509.load_der_x509_crl(der))
        if trusted or any(self.issued_by(crl, issuer) for issuer in issuers()):
            self._crls.put(key, crl, len(der))
        return crl

    def cert(self, der: bytes) -> asn1_x509.Certificate:
        key = hashlib.sha256(der).digest()
        cert: asn1_x509.Certificate = self._certs.get(
            key, lambda: asn1_x509.Certificate.load(der), len(der)
        )
        return cert

    def crypto(self, cert: asn1_x509.Certificate) -> x509.Certificate:
        der = cert.dump()
        parsed: x509.Certificate = self._crypto_certs.get(
            hashlib.sha256(der).digest(), lambda: x509.load_der_x509_certificate(der), len(der)
        )
        return parsed

    def certified(self, cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> bool:
        """Whether `cert` carries a valid signature of a certificate in `pool` (itself included,
        for a root)."""
        for issuer in pool:
            if issuer.subject != cert.issuer:
                continue
            key = (cert.fingerprint(_SHA256), issuer.fingerprint(_SHA256))

            def check(issuer: x509.Certificate = issuer) -> bool:
                try:
                    cert.verify_directly_issued_by(issuer)
                except Exception:  # wrong key, bad signature, unsupported algorithm
                    return False
                return True

            if self._issued.get(key, check):
                return True
        return False

    def issued_by(self, crl: _Crl, issuer: x509.Certificate) -> bool:
        key = (crl.der_sha256, issuer.fingerprint(_SHA256))

        def check() -> bool:
            if crl.crl.issuer != issuer.subject:
                return False
            try:
                return crl.crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
            except Exception:  # an unsupported key type cannot have signed it
                return False

        result: bool = self._crl_checks.get(key, check)
        return result
