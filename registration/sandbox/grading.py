"""The sandbox's scenario, step by step, judged from the journal and the database (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from registration.sandbox.journal import Entry

_ATTESTATIONS: Final = re.compile(r"^/api/v1/applications/[^/]+/attestations$")
_LICENCE: Final = re.compile(r"^/api/v1/licences/[^/]+/pdf$")

STEPS: Final = (
    ("signed_request", "a request signed with a registered key was accepted"),
    ("replay_refused", "the same signature sent again was refused with replayed_nonce"),
    ("idempotent_retry", "a POST retried with the same Idempotency-Key got the stored answer"),
    ("attestation_accepted", "an identity attestation (JWS) was accepted"),
    ("licence_issued", "an application was submitted, issued, and its licence downloaded"),
    ("webhook_verified", "a webhook was received, verified and acknowledged by event id"),
)


@dataclass(frozen=True)
class ClientFacts:
    """What the database says about one client."""

    client_id: str
    keyids: frozenset[str]
    issued_applications: int
    delivered_events: Mapping[str, str | None]  # event id → authority keyid, sent at least once


@dataclass(frozen=True)
class StepResult:
    step: str
    description: str
    passed: bool
    reason: str


def grade(entries: Sequence[Entry], facts: ClientFacts) -> list[StepResult]:
    ours = [e for e in entries if e.kind == "request" and e.keyid in facts.keyids]
    receipts = [e for e in entries if e.kind == "receipt" and e.client_id == facts.client_id]
    accepted = [e for e in ours if 200 <= e.status < 400]
    verdicts = {
        "signed_request": _signed(accepted),
        "replay_refused": _replay(ours),
        "idempotent_retry": _retry(ours),
        "attestation_accepted": _attested(ours),
        "licence_issued": _issued(ours, facts),
        "webhook_verified": _webhook(receipts, facts),
    }
    return [StepResult(step, description, *verdicts[step]) for step, description in STEPS]


def _signed(accepted: Sequence[Entry]) -> tuple[bool, str]:
    if accepted:
        return True, f"{len(accepted)} signed requests accepted"
    return False, "no signed request from this client's keys has been accepted yet"


def _replay(ours: Sequence[Entry]) -> tuple[bool, str]:
    seen: set[tuple[str | None, str | None]] = set()
    for entry in ours:
        pair = (entry.keyid, entry.nonce)
        if entry.code == "replayed_nonce" and pair in seen:
            return True, f"nonce {entry.nonce!r} sent twice; the second was refused"
        if entry.status < 400 or entry.status in (404, 409, 422):
            seen.add(pair)
    return False, "send one signed request twice, byte for byte (same Signature)"


def _retry(ours: Sequence[Entry]) -> tuple[bool, str]:
    first: dict[tuple[str | None, str, str], int] = {}
    for entry in ours:
        if entry.method != "POST" or not entry.idempotency_key:
            continue
        key = (entry.keyid, entry.idempotency_key, entry.path)
        if entry.replayed and key in first and first[key] == entry.status:
            return True, f"Idempotency-Key {entry.idempotency_key!r} replayed ({entry.status})"
        first.setdefault(key, entry.status)
    return False, "retry a POST (newly signed) with the same Idempotency-Key and the same body"


def _attested(ours: Sequence[Entry]) -> tuple[bool, str]:
    refused = None
    for entry in ours:
        if entry.method == "POST" and _ATTESTATIONS.match(entry.path):
            if entry.status == 201:
                return True, "attestation accepted (201)"
            refused = entry.code or str(entry.status)
    if refused:
        return False, f"attestations were refused ({refused})"
    return False, "post an attestation for the application's legal representative"


def _issued(ours: Sequence[Entry], facts: ClientFacts) -> tuple[bool, str]:
    if facts.issued_applications == 0:
        return False, "no application of this client has been issued a licence yet"
    if not any(e.method == "GET" and e.status == 200 and _LICENCE.match(e.path) for e in ours):
        return False, "an application was issued; download its licence PDF"
    return True, f"{facts.issued_applications} issued; licence downloaded"


def _webhook(receipts: Sequence[Entry], facts: ClientFacts) -> tuple[bool, str]:
    if not facts.delivered_events:
        return False, "no webhook has been delivered yet (set a callback URL; submit)"
    for receipt in receipts:
        if receipt.event_id is None or receipt.event_id not in facts.delivered_events:
            continue
        signed_with = facts.delivered_events[receipt.event_id]
        if signed_with is not None and receipt.event_keyid != signed_with:
            return False, f"event {receipt.event_id} was signed with {signed_with!r}"
        return True, f"event {receipt.event_id} verified with {receipt.event_keyid!r}"
    return False, "acknowledge a delivered webhook's id at /sandbox/v1/webhook-receipts"
