"""Identity attestations through the API: verified, matched to a person, single use; submission
needs one for the legal representative and every natural-person shareholder."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bank_adapter import sign_attestation
from registration.models import IdentityAttestation
from tests.api.helpers import act, create
from tests.conftest import example, row_counts
from tests.terminals.support import ATTESTERS, JOSE, Attester, new_key

Headers = dict[str, str]


def _post(
    client: TestClient, headers: Headers, app_id: str, token: str, media: str = JOSE
) -> httpx.Response:
    return client.post(
        f"/api/v1/applications/{app_id}/attestations",
        content=token.encode(),
        headers={**headers, "Content-Type": media},
    )


@pytest.fixture
def draft(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> tuple[Headers, Attester, dict[str, Any]]:
    bank = api_client_for("yinzhengtong")
    return bank, ATTESTERS[bank["Authorization"]], create(app_client, bank, "yinzhengtong")


@pytest.mark.parametrize("channel", ["yinzhengtong", "hong_kong", "paris"])
def test_an_attestation_is_verified_matched_and_kept(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    channel: str,
) -> None:
    bank = api_client_for(channel)
    attester = ATTESTERS[bank["Authorization"]]
    application = create(app_client, bank, channel)
    person = example(channel)["persons"][0]
    response = _post(app_client, bank, application["id"], attester.token(application["id"], person))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["person_ref"] == "p1"
    assert "legal_representative" in body["roles"]
    assert body["issuer"] == attester.client_id
    listed = app_client.get(f"/api/v1/applications/{application['id']}/attestations", headers=bank)
    assert [a["id"] for a in listed.json()] == [body["id"]]
    with Session(engine) as session:
        stored = session.exec(select(IdentityAttestation)).one()
    assert stored.face_match_score == pytest.approx(0.973)
    assert stored.token.count(".") == 2  # the evidence itself, re-verifiable later


def test_hkid_spellings_are_one_document(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("hong_kong")
    attester = ATTESTERS[bank["Authorization"]]
    app_id = create(app_client, bank, "hong_kong")["id"]
    person = json.loads(json.dumps(example("hong_kong")["persons"][0]))
    person["document"]["number"] = "v4763122"  # the chip's compact form, lower case
    assert _post(app_client, bank, app_id, attester.token(app_id, person)).status_code == 201
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"


def _unsigned(claims: dict[str, Any]) -> str:
    def segment(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{segment({'alg': 'none'})}.{segment(claims)}."


def _person(**changes: Any) -> dict[str, Any]:
    person: dict[str, Any] = json.loads(json.dumps(example("yinzhengtong")["persons"][0]))
    person.update(changes)
    return person


REFUSED: dict[str, tuple[int, Callable[[Attester, str], str]]] = {
    "attestation_algorithm_refused": (
        422,
        lambda a, app: _unsigned(a.claims(app, _person())),
    ),
    "attestation_signature_invalid": (
        422,
        lambda a, app: sign_attestation(a.claims(app, _person()), _same_kind_key(a)),
    ),
    "attestation_audience_mismatch": (
        422,
        lambda a, app: a.token(app, _person(), aud="another-registry"),
    ),
    "attestation_issuer_mismatch": (
        422,
        lambda a, app: a.token(app, _person(), iss="another-bank"),
    ),
    "attestation_expired": (
        422,
        lambda a, app: a.token(app, _person(), iat=_ago(minutes=20), exp=_ago(minutes=15)),
    ),
    "attestation_lifetime_too_long": (
        422,
        lambda a, app: a.token(app, _person(), exp=_ago(minutes=-30)),
    ),
    "attestation_wrong_application": (
        422,
        lambda a, app: a.token("5d1f0a47-0000-4000-8000-000000000000", _person()),
    ),
    "face_match_below_threshold": (
        422,
        lambda a, app: a.token(app, _person(), evidence=_evidence(face_match_score=0.42)),
    ),
    "liveness_check_failed": (
        422,
        lambda a, app: a.token(app, _person(), evidence=_evidence(liveness_passed=False)),
    ),
    "biometric_data_present": (
        422,
        lambda a, app: a.token(app, _person(), evidence=_evidence(face_image="/9j/" + "A" * 200)),
    ),
    "person_not_attestable (the supervisor)": (
        422,
        lambda a, app: a.token(app, example("yinzhengtong")["persons"][1]),
    ),
    "person_not_attestable (a stranger)": (
        422,
        lambda a, app: a.token(
            app, _person(document={"type": "cn_id_card", "number": "11010519491231002X"})
        ),
    ),
    "attested_person_mismatch": (
        422,
        lambda a, app: a.token(app, _person(birth_date="1985-03-18")),
    ),
}


def _ago(**delta: float) -> int:
    return int((datetime.now(UTC) - timedelta(**delta)).timestamp())


def _evidence(**changes: Any) -> dict[str, Any]:
    evidence = {
        "document_chip_read": True,
        "face_match_score": 0.97,
        "liveness_passed": True,
        "checked_at": datetime.now(UTC).isoformat(),
    }
    return evidence | changes


def _same_kind_key(attester: Attester) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return new_key("ed25519" if isinstance(attester.key, Ed25519PrivateKey) else "ecdsa")


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refusals_name_their_reason_and_change_nothing(
    app_client: TestClient,
    engine: Engine,
    draft: tuple[Headers, Attester, dict[str, Any]],
    case: str,
) -> None:
    bank, attester, application = draft
    status, make = REFUSED[case]
    counts = row_counts(engine)
    response = _post(app_client, bank, application["id"], make(attester, application["id"]))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == case.split(" ")[0]
    assert row_counts(engine) == counts


def test_a_jti_is_single_use(
    app_client: TestClient, engine: Engine, draft: tuple[Headers, Attester, dict[str, Any]]
) -> None:
    bank, attester, application = draft
    token = attester.token(application["id"], _person())
    assert _post(app_client, bank, application["id"], token).status_code == 201
    counts = row_counts(engine)
    again = _post(app_client, bank, application["id"], token)
    assert again.status_code == 409
    assert again.json()["code"] == "attestation_replayed"
    assert row_counts(engine) == counts


def test_wrong_media_type_and_missing_key_and_wrong_state(
    app_client: TestClient,
    engine: Engine,
    draft: tuple[Headers, Attester, dict[str, Any]],
    api_client_for: Callable[[str], Headers],
) -> None:
    bank, attester, application = draft
    app_id = application["id"]
    token = attester.token(app_id, _person())
    as_json = _post(app_client, bank, app_id, token, media="application/json")
    assert as_json.status_code == 422  # not even JSON
    as_text = _post(app_client, bank, app_id, token, media="text/plain")
    assert as_text.status_code == 415
    assert as_text.json()["code"] == "unsupported_media_type"

    other = api_client_for("yinzhengtong")  # someone else's application: does not exist
    assert _post(app_client, other, app_id, token).status_code == 404

    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    late = _post(app_client, bank, app_id, attester.token(app_id, _person()))
    assert late.status_code == 409
    assert late.json()["code"] == "not_editable"


def test_a_client_without_attestation_key(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    from registration.models import ApiClient, ClientKey

    bank = api_client_for("yinzhengtong")
    attester = ATTESTERS[bank["Authorization"]]
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    with Session(engine) as session:
        for key in session.exec(select(ClientKey).where(ClientKey.client_id == attester.client_id)):
            key.revoked_at = datetime.now(UTC)
            session.add(key)
        session.commit()
        assert session.get(ApiClient, attester.client_id) is not None
    response = _post(app_client, bank, app_id, attester.token(app_id, _person()))
    assert response.status_code == 409
    assert response.json()["code"] == "no_attestation_key"


def test_submission_needs_every_person_to_attest(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("yinzhengtong")
    attester = ATTESTERS[bank["Authorization"]]
    body = example("yinzhengtong")
    # Two natural-person shareholders: the legal representative and the supervisor.
    body["shareholders"] = [
        {
            "person": ref,
            "contribution": {"amount": "250000.00", "currency": "CNY"},
            "share_percent": "50",
        }
        for ref in ("p1", "p2")
    ]
    app_id = app_client.post("/api/v1/applications", json=body, headers=bank).json()["id"]
    submit = f"/api/v1/applications/{app_id}/submit"

    refused = app_client.post(submit, headers=bank)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "submission_checks_failed"
    missing = {e["field"]: e["code"] for e in problem["errors"]}
    assert missing == {"persons[0]": "attestation_missing", "persons[1]": "attestation_missing"}

    assert _post(app_client, bank, app_id, attester.token(app_id, body["persons"][0])).is_success
    still = app_client.post(submit, headers=bank).json()
    assert [e["field"] for e in still["errors"]] == ["persons[1]"]
    assert row_counts(engine)["company_name"] == 0  # nothing held while refused

    assert _post(app_client, bank, app_id, attester.token(app_id, body["persons"][1])).is_success
    assert app_client.post(submit, headers=bank).json()["status"] == "approved"


def test_editing_a_document_number_voids_its_attestation(
    app_client: TestClient, draft: tuple[Headers, Attester, dict[str, Any]]
) -> None:
    bank, attester, application = draft
    app_id = application["id"]
    assert _post(app_client, bank, app_id, attester.token(app_id, _person())).is_success
    persons = example("yinzhengtong")["persons"]
    persons[0]["document"]["number"] = "440301198503170118"
    persons[0]["birth_date"] = "1985-03-17"
    patched = app_client.patch(
        f"/api/v1/applications/{app_id}", json={"persons": persons}, headers=bank
    )
    assert patched.status_code == 200, patched.text
    refused = app_client.post(f"/api/v1/applications/{app_id}/submit", headers=bank)
    assert refused.status_code == 409
    assert {e["code"] for e in refused.json()["errors"]} == {"attestation_missing"}


# --- the match is re-run at submission against the application as it is then ---------------


def _hong_kong_draft(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> tuple[Headers, Attester, str]:
    bank = api_client_for("hong_kong")
    return bank, ATTESTERS[bank["Authorization"]], create(app_client, bank, "hong_kong")["id"]


@pytest.mark.parametrize(
    "edit",
    [
        {"birth_date": "1978-11-06"},
        # Still a Hong Kong, Macao or Taiwan investor: CHN would break the company type.
        {"nationality": "MAC"},
        {"name": "陳小文", "name_latin": "CHAN Siu Man"},
    ],
    ids=lambda edit: "+".join(edit),
)
def test_editing_an_attested_person_afterwards_voids_the_attestation(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    edit: dict[str, str],
) -> None:
    bank, attester, app_id = _hong_kong_draft(app_client, api_client_for)
    persons = example("hong_kong")["persons"]
    assert _post(app_client, bank, app_id, attester.token(app_id, persons[0])).status_code == 201
    # Same document, another person: the old attestation must not vouch for them.
    persons[0].update(edit)
    patched = app_client.patch(
        f"/api/v1/applications/{app_id}", json={"persons": persons}, headers=bank
    )
    assert patched.status_code == 200, patched.text
    counts = row_counts(engine)

    refused = app_client.post(f"/api/v1/applications/{app_id}/submit", headers=bank)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "submission_checks_failed"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("persons[0]", "attested_person_mismatch")
    ]
    detail = problem["errors"][0]["message"]
    assert ("birth date" in detail) == ("birth_date" in edit)
    assert ("nationality" in detail) == ("nationality" in edit)
    assert ("name" in detail) == ("name" in edit)
    assert row_counts(engine) == counts
    base = f"/api/v1/applications/{app_id}"
    assert app_client.get(base, headers=bank).json()["status"] == "draft"
    # The attestation no longer verifies anyone in the current payload ...
    listed = app_client.get(f"{base}/attestations", headers=bank).json()
    assert [a["person_ref"] for a in listed] == [None]
    # ... and one about the person as they now are lets the application through.
    assert _post(app_client, bank, app_id, attester.token(app_id, persons[0])).status_code == 201
    assert app_client.post(f"{base}/submit", headers=bank).json()["status"] == "approved"


def test_an_unchanged_attested_person_submits(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank, attester, app_id = _hong_kong_draft(app_client, api_client_for)
    person = example("hong_kong")["persons"][0]
    assert _post(app_client, bank, app_id, attester.token(app_id, person)).status_code == 201
    # An edit elsewhere (even re-sending the same persons) leaves the attestation standing.
    patched = app_client.patch(
        f"/api/v1/applications/{app_id}",
        json={"persons": example("hong_kong")["persons"]},
        headers=bank,
    )
    assert patched.status_code == 200, patched.text
    submitted = app_client.post(f"/api/v1/applications/{app_id}/submit", headers=bank)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "approved"


@pytest.mark.parametrize(
    "attested_name",
    [
        "陳大文",
        "CHAN Tai Man",
        "chan tai-man",
        "Chan, Tai Man",
        "ＣＨＡＮ　ＴＡＩ　ＭＡＮ",
        " 陳 大 文 ",
    ],
)
def test_the_attested_name_matches_name_or_name_latin_loosely(
    app_client: TestClient, api_client_for: Callable[[str], Headers], attested_name: str
) -> None:
    bank, attester, app_id = _hong_kong_draft(app_client, api_client_for)
    person = example("hong_kong")["persons"][0] | {"name": attested_name}
    assert _post(app_client, bank, app_id, attester.token(app_id, person)).status_code == 201
    submitted = app_client.post(f"/api/v1/applications/{app_id}/submit", headers=bank)
    assert submitted.json()["status"] == "approved", submitted.text


@pytest.mark.parametrize("attested_name", ["CHAN Siu Man", "陳小文", "Chan Taiman Wong", "-"])
def test_an_attestation_naming_someone_else_is_refused(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    attested_name: str,
) -> None:
    bank, attester, app_id = _hong_kong_draft(app_client, api_client_for)
    person = example("hong_kong")["persons"][0] | {"name": attested_name}
    counts = row_counts(engine)
    refused = _post(app_client, bank, app_id, attester.token(app_id, person))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "attested_person_mismatch"
    assert [e["field"] for e in refused.json()["errors"]] == ["persons[0].name"]
    assert row_counts(engine) == counts


# --- JSON nested deeply enough to exhaust a recursive parser: refused, never a 500 ----------


def _deep_token(attester: Attester, app_id: str, where: str) -> str:
    from bank_adapter.attestations import jose_algorithm_for
    from bank_adapter.keys import sign_raw

    def segment(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    deep = b"[" * 5000 + b"]" * 5000
    header = deep if where == "header" else json.dumps({"alg": jose_algorithm_for(attester.key)})
    payload = deep if where == "payload" else json.dumps(attester.claims(app_id, _person()))
    signing_input = f"{segment(_bytes(header))}.{segment(_bytes(payload))}"
    # Validly signed, so the payload is parsed too (the header is parsed before the check).
    return f"{signing_input}.{segment(sign_raw(attester.key, signing_input.encode()))}"


def _bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


@pytest.mark.parametrize("where", ["header", "payload"])
def test_deeply_nested_jws_json_is_malformed(
    app_client: TestClient,
    engine: Engine,
    draft: tuple[Headers, Attester, dict[str, Any]],
    where: str,
) -> None:
    bank, attester, application = draft
    token = _deep_token(attester, application["id"], where)
    assert len(token) <= 16384
    counts = row_counts(engine)
    response = _post(app_client, bank, application["id"], token)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "attestation_malformed"
    assert row_counts(engine) == counts
