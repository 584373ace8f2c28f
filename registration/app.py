"""Composition root: builds the FastAPI application from one `Settings`."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine, text

from registration.api import (
    applications,
    attestations,
    clients,
    deregistrations,
    feed,
    issuance,
    licences,
    names,
    officers,
    pki,
    register,
    statistics,
    verify,
    webhooks,
)
from registration.api.limits import BodySizeLimit
from registration.api.overload import RequestCap, install_overload_handlers
from registration.api.problems import install_problem_handlers
from registration.api.waiting import RevisionWatcher
from registration.db import api_engine, create_db_engine
from registration.http import exchange
from registration.issuance.authority import LicenceAuthority, build_authority
from registration.settings import Settings
from registration.web import life_pages, pages
from registration.workers.issuance import IssuanceWorker
from registration.workers.webhooks import WebhookWorker

# Multipart framing around an upload of the maximum size.
_MULTIPART_OVERHEAD = 64 * 1024


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    authority: LicenceAuthority | None = None,
    *,
    issuance_worker: bool = False,
    webhook_worker: bool = False,
) -> FastAPI:
    """The service. `issuance_worker` runs licence issuance in-process (as `bizreg serve` does);
    otherwise `bizreg worker` processes, any number of them, do it. `webhook_worker` runs
    webhook delivery in-process (as `bizreg serve` does)."""
    app = FastAPI(
        title="bizreg",
        version="0.1.0",
        description="Company registration and signed electronic business licences.",
    )
    app.state.settings = settings
    if engine is None:
        engine = api_engine(
            settings.effective_database_url,
            settings.effective_pool_size,
            settings.database_pool_timeout_seconds,
        )
        app.router.on_shutdown.append(engine.dispose)
    app.state.engine = engine
    # `Prefer: wait` watcher: two connections of its own (a query, and LISTEN on PostgreSQL).
    watcher = RevisionWatcher(
        create_db_engine(settings.effective_database_url, pool_size=1, max_overflow=0)
    )
    app.state.revision_watcher = watcher
    app.router.on_shutdown.append(watcher.stop)
    app.state.authority = authority or build_authority(settings)
    if issuance_worker:
        worker = IssuanceWorker(
            app.state.engine, app.state.authority, settings.issuance_poll_seconds
        )
        app.state.issuance_worker = worker
        app.router.on_startup.append(worker.start)
        app.router.on_shutdown.append(worker.stop)
    install_problem_handlers(app)
    install_overload_handlers(app)
    app.include_router(applications.router)
    app.include_router(officers.router)
    app.include_router(names.router)
    app.include_router(licences.router)
    app.include_router(issuance.router)
    app.include_router(pki.router)
    app.include_router(verify.router)
    app.include_router(register.router)
    app.include_router(feed.router)
    app.include_router(deregistrations.router)
    app.include_router(statistics.router)
    app.include_router(pages.router)
    app.include_router(life_pages.router)
    # The terminal protocol: client administration, attestations, the webhook key; the raw-body
    # middleware and the replay handler, added before `BodySizeLimit` so that the size limit
    # applies before bodies are buffered.
    exchange.install(app)
    app.add_middleware(exchange.TerminalExchange)
    app.include_router(clients.router)
    app.include_router(attestations.router)
    app.include_router(webhooks.router)
    if webhook_worker:
        webhook_sender = WebhookWorker(app.state.engine, settings)
        app.state.webhook_worker = webhook_sender
        app.router.on_startup.append(webhook_sender.start)
        app.router.on_shutdown.append(webhook_sender.stop)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD)
    # Outermost: a request beyond the cap is answered before its body is even read.
    app.add_middleware(RequestCap, limit=settings.max_concurrent_requests)
    return app
