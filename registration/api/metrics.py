"""Prometheus metrics at `/metrics` (the standard `prometheus_client`), and readiness at
`/readyz`.

Request latency is a histogram per route template (never the raw path: ids would explode the
label space), method and status class, measured in this process. Queue depth and age, the
webhook backlog and recent issuance latency are read from the database at scrape time, so
every API process reports the same truth and a restart loses nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registration.db import utcnow
from registration.issuance.authority import LicenceAuthority
from registration.services import archive, operations

router = APIRouter(tags=["health"])


class RequestMetrics:
    """ASGI middleware: one observation per answered request."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.histogram.labels(scope["method"], template, f"{status // 100}xx").observe(
                time.perf_counter() - started
            )


@dataclass(frozen=True)
class VerificationMetrics:
    """The upload verification pool's saturation and cost, per API process."""

    cpu: Histogram
    abandoned: Counter
    busy: Gauge
    refused: Counter


class BacklogCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with Session(self.engine) as session:
            backlog = operations.backlog(session, utcnow())
        yield GaugeMetricFamily(
            "bizreg_issuance_queue_depth",
            "Approved applications waiting for their licence",
            value=backlog.issuance_pending,
        )
        yield GaugeMetricFamily(
            "bizreg_issuance_queue_oldest_age_seconds",
            "Age of the oldest pending issuance job (0 when none)",
            value=backlog.issuance_oldest_age_seconds,
        )
        yield GaugeMetricFamily(
            "bizreg_webhook_backlog",
            "Webhook deliveries not yet made",
            value=backlog.webhooks_pending,
        )
        yield GaugeMetricFamily(
            "bizreg_webhook_oldest_age_seconds",
            "Age of the oldest undelivered webhook (0 when none)",
            value=backlog.webhooks_oldest_age_seconds,
        )
        latency = GaugeMetricFamily(
            "bizreg_issuance_latency_seconds",
            "Approval to signed licence over the last 15 minutes, by quantile",
            labels=["quantile"],
        )
        for quantile, value in (
            ("0.5", backlog.issuance_latency_p50_seconds),
            ("0.95", backlog.issuance_latency_p95_seconds),
        ):
            if value is not None:
                latency.add_metric([quantile], value)
        yield latency
        yield GaugeMetricFamily(
            "bizreg_licences_issued_recently",
            "Licences issued in the last 15 minutes",
            value=backlog.issued_recently,
        )


class ArchiveCollector(Collector):
    """Archive renewal at a glance, read from the database at scrape time (the renewal job runs
    in the worker, which serves no metrics): what is due within the margin, what was not
    renewed in time (alert on it: those files prove nothing after their expiry), and when the
    first stored file's newest timestamp expires."""

    def __init__(self, engine: Engine, margin: timedelta) -> None:
        self.engine, self.margin = engine, margin

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = archive.status(self.engine, self.margin)
        due = GaugeMetricFamily(
            "bizreg_archive_renewal_due",
            "Stored documents whose newest timestamp expires within the renewal margin",
            labels=["document"],
        )
        due.add_metric(["licence"], state.due_licences)
        due.add_metric(["notice"], state.due_notices)
        yield due
        yield GaugeMetricFamily(
            "bizreg_archive_expired",
            "Stored documents whose newest timestamp has expired unrenewed",
            value=state.expired,
        )
        yield GaugeMetricFamily(
            "bizreg_archive_unexamined",
            "Stored documents whose timestamp expiry the worker has not read yet",
            value=state.unexamined,
        )
        if state.oldest_expiry is not None:
            yield GaugeMetricFamily(
                "bizreg_archive_oldest_expiry_timestamp_seconds",
                "When the earliest newest-timestamp of any stored document expires (Unix time)",
                value=state.oldest_expiry.timestamp(),
            )


class PkiCollector(Collector):
    """The certificates the service signs with: when each ends, and whether the worker's
    rollover is due (alert when one stays due: the rollover is failing, or no worker runs),
    and CRLs whose re-issue failed (served until their nextUpdate)."""

    def __init__(self, authority: LicenceAuthority, margin: timedelta) -> None:
        self.authority, self.margin = authority, margin

    def collect(self) -> Iterator[GaugeMetricFamily]:
        self.authority.follow_pki()
        pki = self.authority.pki
        ends = GaugeMetricFamily(
            "bizreg_pki_certificate_expiry_timestamp_seconds",
            "When the certificate the service uses in this role ends (Unix time)",
            labels=["role", "serial"],
        )
        due = GaugeMetricFamily(
            "bizreg_pki_rollover_due",
            "1 when the worker's rollover should replace this role's certificate now",
            labels=["role"],
        )
        now_due = pki.due(self.margin)
        for role, cert in pki.current_certificates().items():
            ends.add_metric([role, f"{cert.serial_number:x}"], cert.not_valid_after_utc.timestamp())
            due.add_metric([role], 1 if role in now_due else 0)
        yield ends
        yield due
        failing = GaugeMetricFamily(
            "bizreg_pki_crl_refresh_failing",
            "1 when the last re-issue of this CA's CRL failed (the last CRL is still served)",
            labels=["issuer"],
        )
        for issuer in pki.crl_refresh_failures:
            failing.add_metric([issuer], 1)
        yield failing


def install(app: FastAPI, engine: Engine) -> None:
    registry = CollectorRegistry()
    histogram = Histogram(
        "bizreg_http_request_duration_seconds",
        "Time to answer a request, by route template",
        ["method", "route", "status"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    )
    registry.register(BacklogCollector(engine))
    margin = timedelta(days=app.state.settings.archive_renewal_margin_days)
    registry.register(ArchiveCollector(engine, margin))
    registry.register(PkiCollector(app.state.authority, margin))
    # `bizreg serve --workers N`: N processes behind one port, each counting its own requests;
    # the pid tells a scrape's series apart (Prometheus adds the host as `instance`).
    Info("bizreg_api_process", "The API process that answered this scrape", registry=registry).info(
        {"pid": str(os.getpid())}
    )
    app.state.verification_metrics = VerificationMetrics(
        cpu=Histogram(
            "bizreg_verification_cpu_seconds",
            "CPU time a worker spent verifying one uploaded document",
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        ),
        abandoned=Counter(
            "bizreg_verifications_abandoned",
            "Uploaded documents set aside unjudged (over the time budget, or the worker died)",
            ["reason"],
            registry=registry,
        ),
        busy=Gauge(
            "bizreg_verification_slots_busy",
            "Uploads being verified now in this process (of max_concurrent_verifications)",
            registry=registry,
        ),
        refused=Counter(
            "bizreg_verifications_refused",
            "Uploads refused because every verification slot was busy (503)",
            registry=registry,
        ),
    )
    app.state.metrics_registry = registry
    app.add_middleware(RequestMetrics, histogram=histogram)
    app.include_router(router)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz", include_in_schema=False)  # for orchestrators, like /metrics
def readyz(request: Request) -> Any:
    """Ready to take traffic: the database answers and its schema is at this code's head, or
    ahead of it (a newer release migrated before its rolling restart: migrations are additive)."""
    checks = operations.readiness(request.app.state.engine)
    ready = all(value == "ok" or value.startswith("ok:") for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={} if ready else {"Retry-After": "5"},
    )
