"""Test doubles of a bank: attestation keys and tokens, request-signing keys, signed requests.

`conftest.api_client_for` registers every test client with an attestation key kept here
(`ATTESTERS`, by its Authorization header), so `tests.api.helpers.act` can do what a terminal
does before submitting: post an attestation for each person who must be verified.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from bank_adapter import PrivateKey, public_key_pem, sign_attestation, sign_request
from registration.domain.application import ApplicationPayload
from registration.domain.attestation import persons_to_attest
from registration.principal import Principal
from registration.services import applications, attestations, clients

JOSE = "application/jose"


public_pem = public_key_pem  # the name the tests have always used


def new_key(alg: str = "ed25519") -> PrivateKey:
    if alg == "ed25519":
        return Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class Attester:
    """A bank's identity-check system: signs attestations with the client's attestation key."""

    client_id: str
    key: PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    kid: str | None = None  # the registered keyid, sent as the JWS kid when set

    def claims(
        self, application_id: str, person: Mapping[str, Any], **overrides: Any
    ) -> dict[str, Any]:
        now = int(datetime.now(UTC).timestamp())
        claims: dict[str, Any] = {
            "iss": self.client_id,
            "aud": "bizreg",
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            "application_id": application_id,
            "person": {
                "name": person["name"],
                "document_type": person["document"]["type"],
                "document_number": person["document"]["number"],
                "nationality": person["nationality"],
                "birth_date": person["birth_date"],
            },
            "evidence": {
                "document_chip_read": True,
                "face_match_score": 0.973,
                "liveness_passed": True,
                "checked_at": (datetime.now(UTC) - timedelta(seconds=5)).isoformat(),
            },
        }
        claims.update(overrides)
        return claims

    def token(self, application_id: str, person: Mapping[str, Any], **overrides: Any) -> str:
        return sign_attestation(
            self.claims(application_id, person, **overrides), self.key, kid=self.kid
        )


ATTESTERS: dict[str, Attester] = {}


def people_to_attest(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The persons (as JSON) of an application payload that need a bank attestation."""
    payload = ApplicationPayload.model_validate(data)
    return [data["persons"][p.index] for p in persons_to_attest(payload)]


def attest_over_http(
    client: httpx.Client, headers: Mapping[str, str], application_id: str
) -> list[httpx.Response]:
    """Post an attestation for every person who needs one and has none yet."""
    attester = ATTESTERS[headers["Authorization"]]
    base = f"/api/v1/applications/{application_id}"
    application = client.get(base, headers=dict(headers))
    if application.status_code != 200 or application.json()["status"] not in ("draft", "returned"):
        return []
    done = {
        a["person_ref"]
        for a in client.get(f"{base}/attestations", headers=dict(headers)).json()
        if a["person_ref"]
    }
    return [
        client.post(
            f"{base}/attestations",
            content=attester.token(application_id, person),
            headers={**headers, "Content-Type": JOSE},
        )
        for person in people_to_attest(application.json()["data"])
        if person["ref"] not in done
    ]


def attest_directly(engine: Engine, principal: Principal, application_id: str) -> None:
    """Service-level equivalent for tests that drive use cases without HTTP: registers an
    attestation key for the client if needed, then stores a verified attestation per person."""
    signer = new_key()
    with Session(engine, expire_on_commit=False) as session:
        registered = clients.add_key(
            session,
            principal.subject,
            clients.KeySpec(public_pem(signer)),
            "attestation",
            by="tests",
        )
        # The client may hold other active attestation keys: the kid names this one.
        attester = Attester(principal.subject, signer, registered.keyid)
        data = applications.get_application(session, principal, application_id).payload
        for person in people_to_attest(data):
            attestations.attest(
                session,
                principal,
                application_id,
                attester.token(application_id, person),
                now=datetime.now(UTC),
                face_match_threshold=0.9,
            )


class SigningAuth(httpx.Auth):
    """httpx authentication that signs each request as a terminal does (RFC 9421)."""

    requires_request_body = True

    def __init__(self, key: PrivateKey, keyid: str, covered: tuple[str, ...] = ()) -> None:
        self.key = key
        self.keyid = keyid
        self.covered = covered

    def auth_flow(self, request: httpx.Request) -> Any:
        body = request.content
        covered = [name for name in self.covered if name in request.headers]
        request.headers.update(
            sign_request(
                request.method,
                str(request.url),
                request.headers.multi_items(),
                body,
                key=self.key,
                keyid=self.keyid,
                covered_fields=covered,
            )
        )
        yield request
