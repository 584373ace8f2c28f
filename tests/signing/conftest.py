"""Fixtures for the signing library: one development PKI per session, published over HTTP on
127.0.0.1 (certificates, CRLs, TSA) as its URLs promise, and the signers built on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from signing import LicenceSigner, Pki, SealFont, SealStampStyle, init_pki
from signing.tsa import InProcessTimeStamper, TimestampAuthority
from tests.signing.support import (
    REPO,
    PublicationServer,
    make_licence_pdf,
    make_nss_db,
    start_publication_server,
    write_pem,
)
from tests.tooling import require_tool

PASSPHRASE = "correct horse battery staple"
AUTHORITY_LINES = ("东莞市市场监督管理局", "Dongguan Administration", "for Market Regulation")
SEAL_FONT = REPO / "templates" / "fonts" / "wqy-microhei.ttc"


@pytest.fixture(scope="session")
def publication_server() -> Iterator[PublicationServer]:
    server = start_publication_server()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture(scope="session")
def make_pki(
    publication_server: PublicationServer, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Pki]:
    """Create a PKI of its own (published by the server) for tests that change one."""

    def make(name: str, **options: object) -> Pki:
        pki = init_pki(
            tmp_path_factory.mktemp(f"pki-{name}"),
            public_base_url=publication_server.base_url(name),
            passphrase=PASSPHRASE,
            **options,
        )
        publication_server.register(name, pki)
        return pki

    return make


@pytest.fixture(scope="session")
def pki(make_pki: Callable[..., Pki]) -> Pki:
    """The shared hierarchy. Tests must not rotate or revoke in it (use `make_pki`)."""
    return make_pki("shared")


@pytest.fixture(scope="session")
def root_pem(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pem(tmp_path_factory.mktemp("trust") / "root.pem", pki.root_certificate)


@pytest.fixture(scope="session")
def licence_pdf() -> bytes:
    return make_licence_pdf()


@pytest.fixture(scope="session")
def seal_style() -> SealStampStyle:
    if not SEAL_FONT.exists():
        pytest.skip(f"seal font {SEAL_FONT} is not in the repository")
    font = SealFont(SEAL_FONT, "".join(AUTHORITY_LINES) + "签章时间")
    return SealStampStyle(
        font=font,
        lines=AUTHORITY_LINES,
        time_label="签章时间",
        timezone=ZoneInfo("Asia/Shanghai"),
    )


@pytest.fixture(scope="session")
def timestamper(pki: Pki) -> InProcessTimeStamper:
    return InProcessTimeStamper(TimestampAuthority(pki.tsa_certificate, pki.tsa_key(), pki.chain))


@pytest.fixture(scope="session")
def signer_blt(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle
) -> LicenceSigner:
    return LicenceSigner.for_pki(pki, timestamper=timestamper, level="B-LT", seal=seal_style)


@pytest.fixture(scope="session")
def pdfsig_tool() -> str:
    return require_tool("pdfsig", "poppler-utils")


@pytest.fixture(scope="session")
def nss_db(pki: Pki, root_pem: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    certutil = require_tool("certutil", "libnss3-tools")
    return make_nss_db(certutil, tmp_path_factory.mktemp("nss"), root_pem)
