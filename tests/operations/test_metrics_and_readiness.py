"""Prometheus metrics and readiness, from a real app on both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from registration.app import create_app
from registration.db import create_db_engine, upgrade_database
from registration.issuance.authority import LicenceAuthority
from registration.services import issuance
from registration.settings import Settings
from tests.api.helpers import act, create
from tests.conftest import example, unique_name

Headers = dict[str, str]


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_request_latency_is_labelled_by_route_template(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    for _ in range(3):
        assert app_client.get(f"/api/v1/applications/{app_id}", headers=bank).status_code == 200
    samples = _samples(app_client)
    key = (
        "bizreg_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/applications/{application_id}"), ("status", "2xx")),
    )
    assert samples[key] == 3
    # No raw ids in labels: the label space stays bounded however many applications exist.
    assert not any(app_id in str(labels) for _, labels in samples)


def test_queue_depth_age_and_issuance_latency_come_from_the_database(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    authority: LicenceAuthority,
) -> None:
    bank = api_client_for("yinzhengtong")
    ids = []
    for i in range(2):
        company = example("yinzhengtong")["company"]
        company["name"]["zh"] = unique_name(100 + i, "咨询")
        ids.append(create(app_client, bank, "yinzhengtong", company=company)["id"])
    for app_id in ids:
        assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    samples = _samples(app_client)
    assert samples[("bizreg_issuance_queue_depth", ())] == 2
    assert samples[("bizreg_issuance_queue_oldest_age_seconds", ())] >= 0
    assert issuance.run_once(engine, authority) is not None
    assert issuance.run_once(engine, authority) is not None
    samples = _samples(app_client)
    assert samples[("bizreg_issuance_queue_depth", ())] == 0
    assert samples[("bizreg_licences_issued_recently", ())] == 2
    assert samples[("bizreg_issuance_latency_seconds", (("quantile", "0.95"),))] > 0


def test_ready_when_the_database_answers_at_head(app_client: TestClient) -> None:
    response = app_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_not_ready_on_an_old_schema_or_without_a_database(
    tmp_path: Path, authority: LicenceAuthority
) -> None:
    old = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(create_db_engine(old), "0005")
    for url in (old, f"sqlite:///{tmp_path / 'missing' / 'x.db'}"):
        app = create_app(Settings(data_dir=tmp_path / "var", database_url=url), authority=authority)
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/readyz")
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        checks = response.json()["checks"]
        if url == old:
            assert checks["database"] == "ok"
            assert checks["migrations"].startswith("at ['0005']")
        else:
            assert checks["database"].startswith("unreachable")


def test_still_ready_when_a_newer_release_migrated_the_database_first(
    tmp_path: Path, authority: LicenceAuthority
) -> None:
    # A rolling upgrade: `bizreg db upgrade` of the next release ran, this release's processes
    # keep serving (migrations are additive) until they are replaced.
    url = f"sqlite:///{tmp_path / 'ahead.db'}"
    engine = create_db_engine(url)
    upgrade_database(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_next_release'"))
    app = create_app(Settings(data_dir=tmp_path / "var", database_url=url), authority=authority)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["migrations"] == "ok: database ahead at ['9999_next_release']"
