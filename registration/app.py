"""Composition root: builds the FastAPI application from one `Settings`."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from registration import logs
from registration.api import (
    applications,
    attestations,
    clients,
    deregistrations,
    feed,
    issuance,
    licences,
    log,
    metrics,
    names,
    officers,
    pki,
    register,
    requirements,
    statistics,
    track,
    verify,
    webhooks,
)
from registration.api.limits import BodySizeLimit
from registration.api.overload import RequestCap, install_overload_handlers
from registration.api.problems import install_problem_handlers, problem_responses
from registration.api.request_ids import RequestIds
from registration.api.unstorable import RefuseUnstorable, install_unstorable_handlers
from registration.api.waiting import RevisionWatcher
from registration.console import routes as console
from registration.db import api_engine, create_db_engine
from registration.errors import ServiceUnavailable, UnstorableCharacter
from registration.http import exchange
from registration.http.security_headers import SecurityHeaders
from registration.issuance.authority import LicenceAuthority, build_authority
from registration.settings import Settings
from registration.web import docs, life_pages, pages, track_pages
from registration.workers.checkpoints import CheckpointWorker
from registration.workers.issuance import IssuanceWorker
from registration.workers.mail import MailWorker
from registration.workers.webhooks import WebhookWorker

# Multipart framing around an upload of the maximum size.
_MULTIPART_OVERHEAD = 64 * 1024
# Set by `bizreg serve --no-background` for the API processes it starts: "0" leaves webhook
# delivery, e-mail and log checkpoints to other processes.
SERVE_BACKGROUND_ENV = "BIZREG_SERVE_BACKGROUND"


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
        # Served by `web.docs` from assets installed with the service (no CDN, no inline script).
        docs_url=None,
        redoc_url=None,
        # Any request may be refused at the edge for a character the database cannot store.
        responses=problem_responses(UnstorableCharacter),
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
    install_unstorable_handlers(app)
    app.include_router(applications.router)
    app.include_router(officers.router)
    app.include_router(names.router)
    app.include_router(licences.router)
    app.include_router(issuance.router)
    app.include_router(pki.router)
    app.include_router(log.router)
    app.include_router(verify.router)
    app.include_router(register.router)
    app.include_router(feed.router)
    app.include_router(deregistrations.router)
    app.include_router(statistics.router)
    app.include_router(track.router)
    app.include_router(requirements.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    console.install(app)
    app.include_router(life_pages.router)
    app.include_router(track_pages.router)
    # The terminal protocol: client administration, attestations, the webhook key; the raw-body
    # middleware and the replay handler, added before `BodySizeLimit` so that the size limit
    # applies before bodies are buffered.
    exchange.install(app)
    app.add_middleware(exchange.TerminalExchange)
    # Outside the exchange (which buffers bodies for signatures) and inside the size limit.
    app.add_middleware(RefuseUnstorable)
    app.include_router(clients.router)
    app.include_router(attestations.router)
    app.include_router(webhooks.router)
    if webhook_worker:
        webhook_sender = WebhookWorker(app.state.engine, settings)
        app.state.webhook_worker = webhook_sender
        app.router.on_startup.append(webhook_sender.start)
        app.router.on_shutdown.append(webhook_sender.stop)
        mailer = MailWorker(app.state.engine, settings)
        app.state.mail_worker = mailer
        app.router.on_startup.append(mailer.start)
        app.router.on_shutdown.append(mailer.stop)
        # The transparency log's checkpoints are signed where webhooks are sent: `bizreg serve`.
        checkpointer = CheckpointWorker(app.state.engine, settings)
        app.state.checkpoint_worker = checkpointer
        app.router.on_startup.append(checkpointer.start)
        app.router.on_shutdown.append(checkpointer.stop)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, object]:
        """`degraded` names what is failing but still served: a CRL that could not be
        re-issued (the last one is served until its nextUpdate), a log checkpoint refused."""
        try:
            with app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            # A fault to wait out, not an error of the caller's: 503 with Retry-After.
            raise ServiceUnavailable("the database cannot be reached", retry_after=5) from None
        crl_failures = dict(app.state.authority.pki.crl_refresh_failures)
        checkpointer = getattr(app.state, "checkpoint_worker", None)
        log_refusal = None if checkpointer is None else checkpointer.refusal
        degraded = bool(crl_failures) or log_refusal is not None
        return {
            "status": "degraded" if degraded else "ok",
            "crl_refresh_failures": crl_failures,
            "log_checkpoint_refused": log_refusal,
        }

    # Inside the cap: a request answered 503 at the door costs nothing to measure.
    metrics.install(app, app.state.engine)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD)
    # Outermost: a request beyond the cap is answered before its body is even read.
    app.add_middleware(RequestCap, limit=settings.max_concurrent_requests)
    app.add_middleware(SecurityHeaders, production=not settings.is_development)
    # Outermost of all: even a request refused at the door has an id and an access line.
    app.add_middleware(RequestIds)
    return app


def app_from_environment() -> FastAPI:
    """The application of one of `bizreg serve --workers N`'s API processes: uvicorn starts
    each from this import string, so everything it needs comes from the environment (the
    settings, and `BIZREG_SERVE_BACKGROUND`). Licences are issued by the issuance processes
    the parent supervises or by `bizreg worker`, woken by NOTIFY on PostgreSQL and by polling
    on SQLite."""
    settings = Settings()
    logs.configure(settings.log_format)
    background = os.environ.get(SERVE_BACKGROUND_ENV, "1") != "0"
    return create_app(settings, webhook_worker=background)
