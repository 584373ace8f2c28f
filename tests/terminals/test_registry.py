"""The client registry: admin API (registrar_admin only) and the `bizreg client` commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registration.cli import main
from registration.domain.workflow import Role
from registration.models import AdminEvent, LogLeaf
from registration.services import accounts, clients
from tests.conftest import example, row_counts
from tests.terminals.support import SigningAuth, new_key, public_pem

Headers = dict[str, str]
CLIENTS = "/api/v1/admin/clients"
TRUNCATED_PEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"


@pytest.fixture
def admin(officer: Callable[..., Headers]) -> Headers:
    return officer(Role.REGISTRAR_ADMIN)


def _client_body(client_id: str = "boc-t01", **extra: object) -> dict[str, object]:
    return {"client_id": client_id, "channel": "yinzhengtong", "org": "Bank of China"} | extra


def test_register_a_terminal_with_keys_then_it_signs(
    app_client: TestClient, admin: Headers
) -> None:
    key, attestation = new_key("ecdsa-p256-sha256"), new_key("ed25519")
    created = app_client.post(
        CLIENTS,
        json=_client_body(
            request_keys=[{"public_key_pem": public_pem(key), "keyid": "boc-t01-2025"}],
            attestation_key={"public_key_pem": public_pem(attestation)},
            callback_url="http://127.0.0.1:9/hook",
        ),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["bearer_token"] is None
    assert created.headers["location"] == f"{CLIENTS}/boc-t01"
    assert {(k["purpose"], k["alg"], k["active"]) for k in body["keys"]} == {
        ("request_signing", "ecdsa-p256-sha256", True),
        ("attestation", "ed25519", True),
    }
    signed = app_client.post(
        "/api/v1/applications",
        json=example("yinzhengtong"),
        auth=SigningAuth(key, "boc-t01-2025", ("content-type",)),
    )
    assert signed.status_code == 201, signed.text


def test_a_development_client_gets_a_token(app_client: TestClient, admin: Headers) -> None:
    created = app_client.post(CLIENTS, json=_client_body("dev-1"), headers=admin).json()
    token = created["bearer_token"]
    assert token
    response = app_client.post(
        "/api/v1/applications",
        json=example("yinzhengtong"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            _client_body(request_keys=[{"public_key_pem": TRUNCATED_PEM}]),
            422,
            "invalid_public_key",
        ),
        (_client_body(request_keys=[{"public_key_pem": "RSA"}]), 422, "invalid_public_key"),
        (_client_body(callback_url="ftp://bank.example/hook"), 422, "invalid_callback_url"),
        (
            _client_body(callback_url="https://user:pw@bank.example/hook"),
            422,
            "invalid_callback_url",
        ),
        (_client_body("bad id!"), 422, "invalid_client_id"),
        (_client_body(channel="lagos"), 422, "validation_failed"),
        (
            _client_body(request_keys=[{"public_key_pem": public_pem(new_key()), "keyid": 'a"b'}]),
            422,
            "invalid_keyid",
        ),
    ],
    ids=[
        "truncated-pem",
        "rsa",
        "ftp-callback",
        "userinfo-callback",
        "client-id",
        "channel",
        "keyid",
    ],
)
def test_bad_registrations_are_refused_and_change_nothing(
    app_client: TestClient,
    engine: Engine,
    admin: Headers,
    body: dict[str, object],
    status: int,
    code: str,
) -> None:
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for key in body.get("request_keys", []):  # type: ignore[attr-defined]
        if key["public_key_pem"] == "RSA":
            key["public_key_pem"] = rsa_pem
    counts = row_counts(engine)
    response = app_client.post(CLIENTS, json=body, headers=admin)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert row_counts(engine) == counts


def test_conflicts(app_client: TestClient, admin: Headers) -> None:
    pem = public_pem(new_key())
    keys = [{"public_key_pem": pem, "keyid": "shared-keyid"}]
    assert app_client.post(CLIENTS, json=_client_body(request_keys=keys), headers=admin).is_success
    again = app_client.post(CLIENTS, json=_client_body(), headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "client_exists")
    other = app_client.post(CLIENTS, json=_client_body("boc-t02", request_keys=keys), headers=admin)
    assert (other.status_code, other.json()["code"]) == (409, "keyid_taken")


def test_keys_suspension_and_callback_through_the_api(
    app_client: TestClient, engine: Engine, admin: Headers
) -> None:
    token = app_client.post(CLIENTS, json=_client_body(), headers=admin).json()["bearer_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    key = new_key()
    added = app_client.post(
        f"{CLIENTS}/boc-t01/keys",
        json={"public_key_pem": public_pem(key), "keyid": "boc-t01-k1"},
        headers=admin,
    )
    assert added.status_code == 201
    assert added.json()["purpose"] == "request_signing"
    # From its first key on, the client must sign.
    assert app_client.get("/api/v1/queues/front-desk", headers=bearer).status_code == 401
    auth = SigningAuth(key, "boc-t01-k1")
    assert app_client.get("/api/v1/queues/front-desk", auth=auth).status_code == 403  # role

    suspended = app_client.post(f"{CLIENTS}/boc-t01/suspend", headers=admin)
    assert suspended.json()["active"] is False
    assert app_client.get("/api/v1/queues/front-desk", auth=auth).json()["code"] == (
        "client_suspended"
    )
    assert app_client.post(f"{CLIENTS}/boc-t01/resume", headers=admin).json()["active"] is True

    revoked = app_client.post(f"{CLIENTS}/boc-t01/keys/boc-t01-k1/revoke", headers=admin)
    assert revoked.json()["active"] is False
    assert app_client.post(f"{CLIENTS}/boc-t01/keys/boc-t01-k1/revoke", headers=admin).is_success
    assert app_client.get("/api/v1/queues/front-desk", auth=auth).json()["code"] == "unknown_key"
    missing = app_client.post(f"{CLIENTS}/boc-t01/keys/nope/revoke", headers=admin)
    assert (missing.status_code, missing.json()["code"]) == (404, "key_not_found")

    patched = app_client.patch(
        f"{CLIENTS}/boc-t01", json={"callback_url": "https://bank.example/hook"}, headers=admin
    )
    assert patched.json()["callback_url"] == "https://bank.example/hook"
    listed = app_client.get(CLIENTS, headers=admin).json()
    assert [c["client_id"] for c in listed] == ["boc-t01"]


def test_a_new_attestation_key_joins_the_old_until_it_is_revoked(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        clients.register_client(
            session,
            "hk-gw",
            "hong_kong",
            "Gateway",
            attestation_key=clients.KeySpec(public_pem(new_key())),
            by="tests",
        )
        clients.add_key(
            session, "hk-gw", clients.KeySpec(public_pem(new_key())), "attestation", by="tests"
        )
        keys = clients.list_keys(session, "hk-gw")
        both = clients.active_attestation_keys(session, "hk-gw")
        clients.revoke_key(session, "hk-gw", keys[0].keyid, by="tests")
        after = clients.active_attestation_keys(session, "hk-gw")
    assert [k.keyid for k in both] == [k.keyid for k in keys]
    assert [k.keyid for k in after] == [keys[1].keyid]


@pytest.mark.parametrize("caller", ["anonymous", "front_desk", "terminal"])
def test_only_registrar_admins_administer_clients(
    app_client: TestClient,
    officer: Callable[..., Headers],
    api_client_for: Callable[[str], Headers],
    caller: str,
) -> None:
    headers = {
        "anonymous": lambda: {},
        "front_desk": lambda: officer(Role.FRONT_DESK),
        "terminal": lambda: api_client_for("paris"),
    }[caller]()
    for method, path in [("POST", CLIENTS), ("GET", CLIENTS), ("POST", f"{CLIENTS}/x/suspend")]:
        response = app_client.request(method, path, json=_client_body(), headers=headers)
        assert response.status_code == (401 if caller == "anonymous" else 403), response.text


# --- bizreg client … ----------------------------------------------------------------------


@pytest.fixture
def env(engine: Engine, database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"BIZREG_DATABASE_URL": database_url, "BIZREG_DATA_DIR": str(tmp_path / "var")}


def test_cli_registers_rotates_suspends(
    env: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    runner = CliRunner()
    keys = tmp_path / "keys"
    assert (
        runner.invoke(main, ["terminal", "keygen", str(keys), "--name", "t01"], env=env).exit_code
        == 0
    )
    assert (
        runner.invoke(
            main, ["terminal", "keygen", str(keys), "--name", "att", "--alg", "ecdsa-p256"], env=env
        ).exit_code
        == 0
    )
    assert (keys / "t01-key.pem").stat().st_mode & 0o777 == 0o600

    added = runner.invoke(
        main,
        [
            "client",
            "add",
            "boc-t01",
            "--channel",
            "yinzhengtong",
            "--org",
            "Bank of China",
            "--public-key",
            str(keys / "t01-public.pem"),
            "--keyid",
            "boc-t01-2025",
            "--attestation-key",
            str(keys / "att-public.pem"),
            "--callback-url",
            "http://127.0.0.1:9/hook",
            "--by",
            "registrar-wang",
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert "request_signing key boc-t01-2025 (ed25519" in added.output
    assert "attestation key boc-t01-" in added.output
    assert "ecdsa-p256-sha256" in added.output

    rotated = runner.invoke(
        main,
        [
            "client",
            "add-key",
            "boc-t01",
            str(keys / "att-public.pem"),
            "--keyid",
            "boc-t01-2026",
            "--by",
            "registrar-wang",
        ],
        env=env,
    )
    assert rotated.exit_code == 0, rotated.output
    for command in (
        ["suspend", "boc-t01"],
        ["resume", "boc-t01"],
        ["revoke-key", "boc-t01", "boc-t01-2025"],
    ):
        unattributed = runner.invoke(main, ["client", *command], env=env)
        assert unattributed.exit_code == 2  # --by is required
        assert "--by" in unattributed.output
        result = runner.invoke(main, ["client", *command, "--by", "registrar-li"], env=env)
        assert result.exit_code == 0, result.output
    with Session(engine) as session:
        client = clients.get_client(session, "boc-t01")
        assert client.active is True
        assert client.callback_url == "http://127.0.0.1:9/hook"
        assert [k.keyid for k in clients.list_keys(session, "boc-t01") if k.revoked_at is None][
            -1
        ] == "boc-t01-2026"
        # Who did what, each an admin event with its leaf in the transparency log.
        history = [
            (e.action, e.actor)
            for e in session.exec(
                select(AdminEvent)
                .where(AdminEvent.target == "client:boc-t01")
                .order_by(col(AdminEvent.id))
            )
        ]
        assert history == [
            ("client.create", "registrar-wang"),
            ("client.key_add", "registrar-wang"),
            ("client.suspend", "registrar-li"),
            ("client.resume", "registrar-li"),
            ("client.key_revoke", "registrar-li"),
        ]
        logged = session.exec(select(LogLeaf.kind).where(LogLeaf.subject == "client:boc-t01"))
        assert sorted(logged) == sorted(f"admin.{action}" for action, _ in history)

    missing = runner.invoke(main, ["client", "suspend", "nobody", "--by", "x"], env=env)
    assert missing.exit_code != 0
    assert "no client" in missing.output


def test_cli_without_a_key_still_prints_a_development_token(
    env: dict[str, str], engine: Engine
) -> None:
    result = CliRunner().invoke(
        main,
        ["client", "add", "dev-t", "--channel", "paris", "--org", "Dev", "--by", "registrar"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        principal = accounts.authenticate(session, result.output.strip())
    assert principal.subject == "dev-t"


def test_development_setup_gives_every_client_an_attestation_key_and_a_signing_terminal(
    app_client: TestClient, engine: Engine, settings: object, tmp_path: Path
) -> None:
    from bank_adapter import BizregClient, load_private_key
    from registration.cli.devsetup import ensure_dev_accounts

    first = ensure_dev_accounts(engine, tmp_path)
    assert ensure_dev_accounts(engine, tmp_path) == first  # a restart changes nothing
    terminal = first["signing_terminal"]
    assert set(first["attestation_keys"]) == {
        "dev-yinzhengtong",
        "dev-hong-kong",
        "dev-paris",
        "dev-terminal",
        "dev-terminal-hong-kong",
        "dev-terminal-paris",
    }
    assert {t["channel"] for t in first["signing_terminals"].values()} == {
        "yinzhengtong",
        "hong_kong",
        "paris",
    }
    key = load_private_key(Path(terminal["key"]).read_bytes())
    base_url = str(app_client.base_url).rstrip("/")
    with BizregClient(
        base_url, terminal["client_id"], terminal["keyid"], key, http=app_client
    ) as bizreg:
        created = bizreg.create_application(example("yinzhengtong"), idempotency_key="dev")
    assert created["client_id"] == "dev-terminal"
