"""E-mail to the investor: one localised message per status change from a transactional outbox,
through a real SMTP server on loopback (aiosmtpd), retried when the server refuses, written as
.eml files when no SMTP server is set (issue 12)."""

from __future__ import annotations

import email
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.models import MailOutbox
from registration.services import mail
from registration.settings import Settings
from tests.api.helpers import act, create
from tests.investors.support import Headers, returned_hong_kong


@dataclass
class Inbox:
    """An SMTP server that refuses the first `refuse` deliveries with 451, then accepts."""

    refuse: int = 0
    received: list[Message] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.refuse:
                return "451 4.3.0 try again later"
            self.received.append(email.message_from_bytes(envelope.content))
            self.arrived_at.append(time.monotonic())
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{port}"), "mail_retry_base_seconds": 1}
    )


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def test_each_status_change_is_mailed_once_in_the_investors_language(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    engine: Engine,
    settings: Settings,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    bank = api_client_for("hong_kong")
    created = returned_hong_kong(app_client, bank, officer)
    started = time.monotonic()
    sent = mail.deliver_due(engine, _settings(settings, port))
    assert sent == 2  # submitted, returned
    assert mail.deliver_due(engine, _settings(settings, port)) == 0  # never twice
    subjects = [
        str(email.header.make_header(email.header.decode_header(m["Subject"])))
        for m in inbox.received
    ]
    assert subjects[0].startswith("【登記進度】")
    assert subjects[0].endswith("已提交")
    assert subjects[1].endswith("退回補正")
    returned = inbox.received[1]
    assert returned["To"] == "taiman.chan@example.hk"
    assert returned["Content-Language"] == "zh-Hant"
    assert returned["Auto-Submitted"] == "auto-generated"
    body = _text(returned)
    assert "住所資訊不完整或無法核實，請補充。" in body  # the catalogued reason, in zh-Hant
    assert "门牌号与不动产登记不符" in body  # the officer's own words
    assert created["tracking_reference"] in body
    assert f"{settings.public_base_url}/track" in body
    assert created["tracking_code"] not in body  # the code is only on the receipt
    # One Message-ID per change, stable (a re-send after a crash is recognisably the same).
    ids = {m["Message-ID"] for m in inbox.received}
    assert len(ids) == 2
    print(f"status change to SMTP server: {(inbox.arrived_at[-1] - started) * 1000:.1f} ms")


def test_a_refusing_server_gets_the_message_on_a_later_attempt_and_the_log_shows_it(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    inbox.refuse = 2
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    act(app_client, bank, app_id, "withdraw")
    configured = _settings(settings, port)
    later = utcnow()
    for _ in range(3):
        mail.deliver_due(engine, configured, now=later)
        later += timedelta(hours=2)  # past any back-off
    assert len(inbox.received) == 1
    with Session(engine) as session:
        row = session.exec(select(MailOutbox).where(MailOutbox.application_id == app_id)).one()
        assert row.status == "sent"
        assert row.attempts == 3
        assert [d.outcome for d in mail.delivery_log(session, row.id)] == ["retry", "retry", "sent"]
        assert "451" in (mail.delivery_log(session, row.id)[0].detail or "")


def test_a_server_that_answers_garbage_is_retried_not_lost(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
) -> None:
    """A port that accepts and talks nonsense (or hangs up): the message waits for a retry."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        conn.sendall(b"HELLO THIS IS NOT SMTP\r\n")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    act(app_client, bank, app_id, "withdraw")
    configured = _settings(settings, port).model_copy(update={"smtp_timeout_seconds": 2})
    assert mail.deliver_due(engine, configured) == 0
    listener.close()
    with Session(engine) as session:
        row = session.exec(select(MailOutbox).where(MailOutbox.application_id == app_id)).one()
        assert row.status == "pending"
        assert row.attempts == 1
        assert row.next_attempt_at > utcnow()


def test_without_smtp_messages_are_written_as_eml_files(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    assert settings.smtp_url is None
    assert mail.deliver_due(engine, settings) == 1
    files = list((settings.data_dir / "mail").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes())
    assert message["To"] == "claire.dubois@example.fr"
    assert message["Content-Language"] == "fr"
    assert "Votre demande d’immatriculation" in _text(message)


def test_one_change_is_queued_once_even_when_two_workers_race(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    bank = api_client_for("yinzhengtong")
    for _ in range(3):
        app_id = create(app_client, bank, "yinzhengtong")["id"]
        act(app_client, bank, app_id, "withdraw")
    configured = _settings(settings, port)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        barrier.wait()
        counts.append(mail.deliver_due(engine, configured))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 3
    assert len(inbox.received) == 3
    with Session(engine) as session:
        assert all(
            r.status == "sent"
            for r in session.exec(select(MailOutbox).where(col(MailOutbox.id) != ""))
        )


def _tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1, as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test SMTP CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_and_authentication(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    mode: str,
) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    ca, cert, key = _tls_files(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret p@ss")

    inbox, port = Inbox(), _free_port()
    # aiosmtpd offers AUTH over implicit TLS only without `auth_require_tls` (it knows of
    # STARTTLS only); our side refuses to authenticate in clear in both modes anyway.
    tls: dict[str, Any] = (
        {"tls_context": server_context, "require_starttls": True, "auth_require_tls": True}
        if mode == "starttls"
        else {"ssl_context": server_context, "auth_require_tls": False}
    )
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        server_hostname="127.0.0.1",
        **tls,
    )
    controller.start()
    try:
        bank = api_client_for("yinzhengtong")
        app_id = create(app_client, bank, "yinzhengtong")["id"]
        act(app_client, bank, app_id, "withdraw")
        scheme = "smtp" if mode == "starttls" else "smtps"
        query = "?starttls=required" if mode == "starttls" else ""
        wrong = settings.model_copy(
            update={
                "smtp_url": SecretStr(f"{scheme}://relay:wrong@127.0.0.1:{port}{query}"),
                "smtp_ca_file": ca,
            }
        )
        assert mail.deliver_due(engine, wrong) == 0  # refused login: 535, kept for a retry
        untrusted = settings.model_copy(
            update={"smtp_url": SecretStr(f"{scheme}://relay:x@127.0.0.1:{port}{query}")}
        )
        later = utcnow() + timedelta(hours=2)
        assert mail.deliver_due(engine, untrusted, now=later) == 0  # unknown CA: not sent
        right = wrong.model_copy(
            update={
                "smtp_url": SecretStr(f"{scheme}://relay:s3cret%20p%40ss@127.0.0.1:{port}{query}")
            }
        )
        sent = mail.deliver_due(engine, right, now=later + timedelta(hours=2))
        with Session(engine) as session:
            row = session.exec(select(MailOutbox).where(MailOutbox.application_id == app_id)).one()
            details = [(d.outcome, d.detail) for d in mail.delivery_log(session, row.id)]
        assert sent == 1, details
    finally:
        controller.stop()
    assert len(inbox.received) == 1
    assert ("relay", "s3cret p@ss") in logins
    with Session(engine) as session:
        row = session.exec(select(MailOutbox).where(MailOutbox.application_id == app_id)).one()
        outcomes = [d.outcome for d in mail.delivery_log(session, row.id)]
    assert outcomes == ["retry", "retry", "sent"]  # wrong password, unknown CA, then sent


def test_a_server_that_never_answers_times_out_and_is_retried(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts the connection, never says a word
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    act(app_client, bank, app_id, "withdraw")
    configured = _settings(settings, listener.getsockname()[1]).model_copy(
        update={"smtp_timeout_seconds": 1}
    )
    started = time.monotonic()
    assert mail.deliver_due(engine, configured) == 0
    assert time.monotonic() - started < 10
    listener.close()
    with Session(engine) as session:
        row = session.exec(select(MailOutbox).where(MailOutbox.application_id == app_id)).one()
        assert row.status == "pending"
        log = mail.delivery_log(session, row.id)
        assert log[0].outcome == "retry"
        assert "timed out" in (log[0].detail or "").lower()


def test_credentials_never_go_out_in_clear(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
    smtp: tuple[Inbox, int],
) -> None:
    """The loopback server offers no STARTTLS: with a user in the URL nothing is sent."""
    inbox, port = smtp
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    act(app_client, bank, app_id, "withdraw")
    configured = settings.model_copy(
        update={"smtp_url": SecretStr(f"smtp://relay:secret@127.0.0.1:{port}")}
    )
    assert mail.deliver_due(engine, configured) == 0
    assert inbox.received == []
    with Session(engine) as session:
        row = session.exec(select(MailOutbox).where(MailOutbox.application_id == app_id)).one()
        assert row.status == "pending"
        assert "without TLS" in (mail.delivery_log(session, row.id)[0].detail or "")
