"""Parsed certificates and CRLs shared between documents."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asn1crypto import crl as asn1_crl
from cryptography import x509

__all__ = []


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
