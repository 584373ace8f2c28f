"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when BIZREG_DATABASE_URL is set),
the app over real HTTP semantics (Starlette's TestClient), and account factories.

Each test that touches the database starts from empty tables; the schema is migrated once.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select

from registration.app import create_app
from registration.db import create_db_engine, upgrade_database
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority, build_authority
from registration.services import accounts, clients
from registration.settings import Settings
from tests.terminals.support import ATTESTERS, Attester, public_pem

# Copies of ../shared/examples (the banks' contract); tests/test_contract.py keeps them identical.
EXAMPLES = Path(__file__).resolve().parent / "contract"
CHANNEL_FILES = {
    "yinzhengtong": "application-yinzhengtong.json",
    "hong_kong": "application-hong-kong.json",
    "paris": "application-paris.json",
}


def example(channel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / CHANNEL_FILES[channel]).read_text("utf-8"))
    return data


_TRADE_CHARS = "青松翠柏红梅白鹤金桂银杏春夏秋冬山川河海"


def unique_name(i: int, industry: str = "食品科技") -> str:
    """A valid, distinct company name per `i` (names are unique in a region)."""
    n = len(_TRADE_CHARS)
    trade = "".join(_TRADE_CHARS[(i // n**k) % n] for k in range(3))
    return f"东莞市{trade}{industry}有限公司"


def is_postgres() -> bool:
    return os.environ.get("BIZREG_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("BIZREG_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:  # a rerun on the same database starts clean
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade_database(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    _truncate(migrated_engine)
    yield migrated_engine
    _truncate(migrated_engine)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var", database_url=database_url, max_upload_bytes=256 * 1024
    )


@pytest.fixture(scope="session")
def authority(tmp_path_factory: pytest.TempPathFactory) -> LicenceAuthority:
    """One development PKI and signer for the session: key generation is not what we test."""
    return build_authority(Settings(data_dir=tmp_path_factory.mktemp("authority")))


# Every API test runs with a database pool of ONE connection and no overflow: a request that
# asked for a second connection while holding one would wait out the timeout and get 503, so
# the whole suite proves that no endpoint needs two (that is how a pool deadlocks under load).
SINGLE_CONNECTION_POOL = {"database_pool_size": 1, "database_pool_timeout_seconds": 2.0}


@pytest.fixture
def app_client(
    settings: Settings, engine: Engine, authority: LicenceAuthority
) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update=SINGLE_CONNECTION_POOL), authority=authority)
    # Addressed at its public base URL, as real clients do: RFC 9421 signatures cover the
    # target URI, which the service rebuilds from that URL (registration/http/signatures.py).
    with TestClient(app, base_url=settings.base_url, raise_server_exceptions=False) as client:
        yield client


Headers = dict[str, str]


@pytest.fixture
def officer(engine: Engine, app_client: TestClient) -> Callable[..., Headers]:
    """Create an officer and log in through the API; returns the Authorization header."""

    def make(role: Role, categories: tuple[str, ...] = (), username: str | None = None) -> Headers:
        username = username or f"{role.value}-{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(16)
        with Session(engine) as session:
            accounts.add_officer(session, username, role, password, categories, by="tests")
        response = app_client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return make


@pytest.fixture
def api_client_for(engine: Engine) -> Callable[[str], Headers]:
    """Register an integrator for a channel; returns its Authorization header."""

    def make(channel: str) -> Headers:
        # A development client (bearer token, no request-signing key) whose bank can attest
        # identities: `tests.api.helpers.act` attests with its key before submitting.
        attester = Attester(f"{channel}-{secrets.token_hex(3)}")
        with Session(engine) as session:
            _, _, token = clients.register_client(
                session,
                attester.client_id,
                channel,
                "Test",
                attestation_key=clients.KeySpec(public_pem(attester.key)),
                by="tests",
            )
        headers = {"Authorization": f"Bearer {token}"}
        ATTESTERS[headers["Authorization"]] = attester
        return headers

    return make


# A refused request is recorded as a security event (and that event's leaf in the log): a
# record of the refusal, not a change the request made.
REFUSAL_RECORDS = frozenset({"security_event", "log_leaf", "log_head"})


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, but for the records of refusals."""
    with engine.connect() as connection:
        return {
            t.name: connection.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one()
            for t in SQLModel.metadata.sorted_tables
            if t.name not in REFUSAL_RECORDS
        }


def set_licence_status(engine: Engine, uscc: str, status: str, reason: str) -> None:
    """Move a licence's status the service's way (guarded, with its event and log leaf)."""
    from registration.db import utcnow
    from registration.domain.licence_lifecycle import LicenceAction
    from registration.models import Licence
    from registration.principal import SYSTEM
    from registration.services import licences

    action = {"revoked": LicenceAction.REVOKE, "superseded": LicenceAction.SUPERSEDE}[status]
    with Session(engine) as session:
        licence = session.exec(
            select(Licence).where(Licence.uscc == uscc).order_by(col(Licence.version).desc())
        ).first()
        assert licence is not None
        licences._leave(session, licence, action, SYSTEM, reason, utcnow())
        session.commit()


@pytest.fixture(scope="session")
def softhsm_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SoftHSM2 with the test tokens (`tests.tooling.SOFTHSM_TOKENS`), once per run."""
    from tests.tooling import softhsm_tokens

    previous = os.environ.get("SOFTHSM2_CONF")
    yield softhsm_tokens(tmp_path_factory.mktemp("softhsm"))
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous
