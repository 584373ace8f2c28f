"""Mutations of a genuine licence (hypothesis): never TOTAL_PASSED, never an exception, fast.

Offline, the only bytes outside the signed ranges are the signature container; the verifier
refuses any container that is not exactly as a signer writes it (hex case, zero padding, strict
DER, intact certificate copies, algorithm list and signer identifier), so every mutation fails.
Online the registry's issuance hash would catch anything besides.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signing.verification import Indication
from tests.verification import attacks
from tests.verification.conftest import Genuine
from verification import LicenceVerifier


@st.composite
def mutations(draw: st.DrawFn, size: int, gap: tuple[int, int]) -> list[tuple[str, int, bytes]]:
    """1-3 edits: bit flips anywhere or inside the signature value, overwrites, insertions,
    deletions and truncations."""
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "flip-signature", "set", "insert", "delete", "cut"]))
        if kind == "flip-signature":
            position = draw(st.integers(gap[0], gap[1] - 1))
        else:
            position = draw(st.integers(0, size - 1))
        payload = draw(st.binary(min_size=1, max_size=6))
        edits.append((kind, position, payload))
    return edits


def _apply(pdf: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    data = bytearray(pdf)
    for kind, position, payload in edits:
        position = min(position, len(data) - 1)
        if kind in ("flip", "flip-signature"):
            data[position] ^= 1 << (payload[0] % 8)
        elif kind == "set":
            data[position] = payload[0]
        elif kind == "insert":
            data[position:position] = payload
        elif kind == "delete":
            del data[position : position + len(payload)]
        else:
            del data[position:]
        if not data:
            data = bytearray(b"%")
    return bytes(data)


def test_no_mutation_passes(genuine: Genuine, verifier: LicenceVerifier) -> None:
    _, start, end, _ = attacks.byte_range(genuine.blt)

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(mutations(len(genuine.blt), (start, end)))
    def check(edits: list[tuple[str, int, bytes]]) -> None:
        mutated = _apply(genuine.blt, edits)
        if mutated == genuine.blt:
            return
        began = time.perf_counter()
        report = verifier.verify(mutated)
        assert time.perf_counter() - began < 5
        assert report.indication is not Indication.TOTAL_PASSED, (edits, report.problems)

    check()
