"""Plugging the terminal protocol into the FastAPI app (called by `registration.app`)."""

from __future__ import annotations

from fastapi import FastAPI

from registration.terminals import endpoints, exchange
from registration.terminals.worker import WebhookWorker


def install_terminals(app: FastAPI, *, webhook_worker: bool = False) -> None:
    """Routes, the raw-body middleware, and the replay handler; with
    `webhook_worker`, the in-process delivery thread. Call before adding `BodySizeLimit`, so
    that the size limit applies before bodies are buffered."""
    exchange.install(app)
    app.add_middleware(exchange.TerminalExchange)
    app.include_router(endpoints.admin)
    app.include_router(endpoints.attestation_router)
    app.include_router(endpoints.webhook_router)
    if webhook_worker:
        worker = WebhookWorker(app.state.engine, app.state.settings)
        app.state.webhook_worker = worker
        app.router.on_startup.append(worker.start)
        app.router.on_shutdown.append(worker.stop)
