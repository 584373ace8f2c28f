"""Genuine licences, signed once per session by a development authority, and the verifier.

The authority here is our own (a temporary data directory): tests that revoke or rotate make
their own with `make_authority`, so the shared licences stay genuine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from registration.issuance.authority import LicenceAuthority, build_authority
from registration.settings import Settings
from templates import render_licence
from templates.specimens import SPECIMENS
from verification import LicenceVerifier


@dataclass(frozen=True)
class Genuine:
    """Licences of every kind we issue, and the root they chain to."""

    authority: LicenceAuthority
    blt: bytes  # Paris channel (three languages), PAdES B-LT: the default level
    blta: bytes  # the same content at B-LTA
    hong_kong: bytes
    unsigned: bytes  # the rendered licence before signing

    @property
    def root(self) -> x509.Certificate:
        return self.authority.pki.root_certificate


@pytest.fixture(scope="session")
def make_authority(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., LicenceAuthority]:
    def make(name: str = "authority", **settings: object) -> LicenceAuthority:
        data_dir = settings.pop("data_dir", None) or tmp_path_factory.mktemp(name)
        assert isinstance(data_dir, Path)
        return build_authority(Settings(data_dir=data_dir, **settings))  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def genuine(
    make_authority: Callable[..., LicenceAuthority], tmp_path_factory: pytest.TempPathFactory
) -> Genuine:
    data_dir = tmp_path_factory.mktemp("genuine")
    authority = make_authority(data_dir=data_dir)
    archive = make_authority(data_dir=data_dir, signature_level="B-LTA")
    paris = SPECIMENS["paris"]
    return Genuine(
        authority=authority,
        blt=authority.issue_pdf(paris),
        blta=archive.issue_pdf(paris),
        hong_kong=authority.issue_pdf(SPECIMENS["hong_kong"]),
        unsigned=render_licence(paris, public_base_url=authority.settings.base_url),
    )


@pytest.fixture(scope="session")
def verifier(genuine: Genuine) -> LicenceVerifier:
    """Offline: nothing but the published root and what each licence embeds."""
    return LicenceVerifier([genuine.root])
