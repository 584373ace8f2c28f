"""Faults are not forgeries (issue 14): the data directory turns read-only just as the issuing
CA's CRL falls due. The last CRL is served until its nextUpdate (and /healthz says so); after
it, verification is INDETERMINATE/TRY_LATER naming the fault and /pki/crl answers 503 with
Retry-After. Never TOTAL_FAILED, never a 500."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registration.app import create_app
from registration.issuance.authority import LicenceAuthority
from registration.settings import Settings
from signing import CrlPolicy, LicenceSigner, init_pki
from signing.verification import Indication, SubIndication
from tests.verification.conftest import Genuine
from verification import LicenceVerifier

PERIOD = dt.timedelta(seconds=6)  # the issuing CRL is due after 3 s and lapses after 6 s


@contextlib.contextmanager
def read_only_when_asked(directory: Path) -> Iterator[contextlib.AbstractContextManager[None]]:
    """A directory that really refuses writes: a tmpfs remounted read-only when run as root
    (root ignores file modes), the modes otherwise."""
    directory.mkdir()
    mounted = False
    if os.geteuid() == 0:
        if shutil.which("mount") is None:
            pytest.skip("mount is needed to make a read-only directory as root")
        done = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(directory)], check=False)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (no CAP_SYS_ADMIN)")
        mounted = True

    @contextlib.contextmanager
    def freeze() -> Iterator[None]:
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(directory)], check=True)
        else:
            for path in [directory, *directory.rglob("*")]:
                path.chmod(0o555 if path.is_dir() else 0o444)
        yield

    try:
        yield freeze()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(directory)], check=False)


def test_read_only_data_dir_as_the_crl_falls_due(genuine: Genuine, tmp_path: Path) -> None:
    with read_only_when_asked(tmp_path / "pki") as freeze:
        pki = init_pki(
            tmp_path / "pki",
            public_base_url="https://ca.example",
            passphrase="p" * 16,
            crl_policy=CrlPolicy(issuing_period=PERIOD),
        )
        issued = time.monotonic()
        pdf = LicenceSigner.for_pki(pki).sign(genuine.unsigned)
        verifier = LicenceVerifier([pki.root_certificate], crls=pki.crls_der)
        assert verifier.verify(pdf).indication is Indication.TOTAL_PASSED

        with freeze:
            authority = LicenceAuthority(
                genuine.authority.settings,
                pki,
                genuine.authority.tsa,
                genuine.authority.signer,
                genuine.authority._lock,
            )
            settings = Settings(data_dir=tmp_path / "var")
            settings.data_dir.mkdir()
            with TestClient(create_app(settings, authority=authority)) as client:
                time.sleep(max(0.0, PERIOD.total_seconds() / 2 + 0.5 - (time.monotonic() - issued)))
                # Due, cannot be re-issued: the last CRL is still current and still served.
                report = verifier.verify(pdf)
                assert report.indication is Indication.TOTAL_PASSED
                assert "issuing" in pki.crl_refresh_failures
                assert client.get("/pki/crl").status_code == 200
                health = client.get("/healthz").json()
                assert health["status"] == "degraded"
                assert "issuing" in health["crl_refresh_failures"]

                time.sleep(max(0.0, PERIOD.total_seconds() + 0.5 - (time.monotonic() - issued)))
                # Lapsed: no current CRL. A fault of ours, not of the licence.
                report = verifier.verify(pdf)
                assert report.indication is Indication.INDETERMINATE
                assert report.sub_indication is SubIndication.TRY_LATER
                assert report.reason == "crl_unavailable"
                assert report.verdict.value == "indeterminate"
                crl = client.get("/pki/crl")
                assert crl.status_code == 503
                assert crl.headers["Retry-After"] == "60"
                assert crl.json()["code"] == "crl_unavailable"


def test_healthz_without_a_database_is_503_not_500(tmp_path: Path, genuine: Genuine) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'missing' / 'bizreg.db'}"
    )
    with TestClient(create_app(settings, authority=genuine.authority)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
