"""The licence PKI kept in one directory: create it, load it, rotate the signer, revoke, CRLs.

Files written by `init_pki` (keys are PKCS#8 encrypted with the caller's passphrase, mode 0600):

    pki.json                 manifest: base URL, algorithm, current signer, CRL numbers, revocations
    root.pem  root.key.pem   self-signed root CA (the only thing relying parties must trust)
    issuing.pem issuing.key.pem   issuing CA, certified by the root
    tsa.pem  tsa.key.pem     timestamp authority certificate and key
    signers/<serial>.pem     every licence-signing certificate ever issued, current and retired
    signers/<serial>.key.pem the current licence-signing key (absent if it lives in a token)
    signer.pem               a copy of the current licence-signing certificate, for tools
    crl.der                  CRL of the issuing CA   (published at {base}/pki/crl)
    root-crl.der             CRL of the root CA      (published at {base}/pki/root-crl)
    retired/                 what a rollover replaced (`rotate_tsa`, `rotate_issuing_ca`):
      tsa-<serial>.pem       every earlier TSA certificate (its key is destroyed)
      issuing-<serial>.pem / .key.pem / -crl.der   an earlier issuing CA, its key and its CRL,
                             which it keeps issuing until it expires: the certificates it issued
                             (earlier TSAs, signers) still need fresh revocation data whenever an
                             archive renews a licence's timestamps (B-LTA)
      root-<serial>.pem / .key.pem / -crl.der   an earlier root (`rotate_root`), likewise
    cross/<serial>.pem       cross-certificates of a root rollover: the old root certified by
                             the new (OldWithNew), and each issuing CA certified by the old roots
                             that have not ended yet (see `certificate_profiles.cross_certificate`)

pki.json is the commit point: a change first writes new files under new names, then replaces
the manifest atomically, then tidies up (the `signer.pem` copy, the retired key). A crash at
any step leaves either the old or the new state, never a certificate paired with the wrong key.

Several processes may share the directory (the server and the `bizreg` CLI): every change takes
an exclusive `flock` on `.lock` and re-reads the manifest first, and the CRL accessors read the
files afresh so that a revocation made by one process is served by all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing.certificate_profiles import (
    CaName,
    PkiUrls,
    cross_certificate,
    issuing_ca_certificate,
    licence_signing_certificate,
    root_ca_certificate,
    timestamping_certificate,
)
from signing.crl import RevocationReason, RevokedEntry, build_crl
from signing.errors import CrlUnavailable, PkiError, PkiNotFound, UnknownCertificate
from signing.keys import (
    KEY_ALGORITHMS,
    KeyAlgorithm,
    PrivateKey,
    PublicKey,
    encrypt_private_key,
    generate_private_key,
    key_algorithm_of,
    load_encrypted_private_key,
)
from signing.pki_files import (
    Manifest,
    certificate_pem,
    locked,
    read_certificate,
    serial_hex,
    write_atomically,
)

__all__ = [
    "SIGNER_RENEWAL",
    "CrlPolicy",
    "Pki",
    "Validity",
    "init_pki",
    "load_pki",
    "root_certificates",
]

logger = logging.getLogger(__name__)

_MANIFEST = "pki.json"
# How long before its end the licence signer's certificate is renewed (two-year certificates):
# long enough for a worker that was down for weeks to still do it in time.
SIGNER_RENEWAL = dt.timedelta(days=60)
_RETIRED = "retired"
_CROSS = "cross"
# "root", "issuing" (the current ones) or "issuing-<serial>", "root-<serial>" (retired ones).
_Issuer = str


@dataclass(frozen=True)
class Validity:
    """Certificate lifetimes. Each CA outlives what it certifies."""

    root: dt.timedelta = dt.timedelta(days=20 * 365)
    issuing: dt.timedelta = dt.timedelta(days=10 * 365)
    signer: dt.timedelta = dt.timedelta(days=2 * 365)
    tsa: dt.timedelta = dt.timedelta(days=5 * 365)


@dataclass(frozen=True)
class CrlPolicy:
    """How long a CRL stays current (its nextUpdate) and when we re-issue it.

    A relying party in hard-fail mode rejects a chain whose CRL is past nextUpdate, so a CRL is
    re-issued once half its period has gone, long before it lapses.
    """

    issuing_period: dt.timedelta = dt.timedelta(days=7)
    root_period: dt.timedelta = dt.timedelta(days=90)

    def period(self, issuer: str) -> dt.timedelta:
        return self.root_period if issuer.partition("-")[0] == "root" else self.issuing_period


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_bytes(passphrase: str | bytes) -> bytes:
    return passphrase.encode() if isinstance(passphrase, str) else passphrase


class Pki:
    """A loaded hierarchy: certificates in memory, private keys decrypted on first use.

    Thread-safe: key decryption and every change are serialised by a lock (and, across
    processes, by a file lock).
    """

    def __init__(
        self,
        directory: Path,
        passphrase: bytes,
        *,
        validity: Validity | None = None,
        crl_policy: CrlPolicy | None = None,
    ) -> None:
        self.directory = directory
        self._passphrase = passphrase
        self.validity = validity or Validity()
        self.crl_policy = crl_policy or CrlPolicy()
        self._lock = threading.RLock()
        self._keys: dict[str, PrivateKey] = {}
        self._key_for: dict[str, int] = {}  # the certificate serial each cached key belongs to
        # Why the last re-issue of a CRL failed, per issuer (shown by the service's /healthz).
        self.crl_refresh_failures: dict[str, str] = {}
        self.generation = 0
        self._reload()

    # -- state -------------------------------------------------------------------------------

    def _manifest_stamp(self) -> tuple[int, int, int] | None:
        try:
            status = (self.directory / _MANIFEST).stat()
        except FileNotFoundError:
            return None
        return (status.st_ino, status.st_mtime_ns, status.st_size)

    def reload_if_changed(self) -> bool:
        """Re-read the hierarchy if another process changed it since this one last did (every
        change replaces the manifest, so a `stat` tells): the TSA or issuing CA rolled over by
        the worker's archive job, a signer rotated by `bizreg pki`, a revocation or a CRL
        re-issued. True if it changed."""
        if self._manifest_stamp() == self._stamp:
            return False
        with self._lock:
            self._reload()
        return True

    def _reload(self) -> None:
        manifest_path = self.directory / _MANIFEST
        # Stamped before reading: a change landing in between is seen at the next check.
        self._stamp = self._manifest_stamp()
        if self._stamp is None:
            raise PkiNotFound(f"no PKI in {self.directory} (run init_pki first)")
        manifest = Manifest.from_json(manifest_path.read_bytes())
        self._manifest = manifest
        # Counts the states this object has loaded: a holder of signers built from it (the
        # licence authority) rebuilds them when it changes, whichever process made the change.
        self.generation += 1
        self.urls = PkiUrls(manifest.public_base_url)
        self.key_algorithm: KeyAlgorithm = manifest.key_algorithm
        self.names = CaName(manifest.organization)
        self.root_certificate = read_certificate(self.directory / "root.pem")
        self.issuing_certificate = read_certificate(self.directory / "issuing.pem")
        self.tsa_certificate = read_certificate(self.directory / "tsa.pem")
        self.signer_certificate = read_certificate(
            _signer_path(self.directory, manifest.current_signer_serial, ".pem")
        )
        self.signer_certificates = tuple(
            sorted(
                (
                    read_certificate(path)
                    for path in (self.directory / "signers").glob("*.pem")
                    if not path.name.endswith(".key.pem")
                ),
                key=lambda cert: cert.not_valid_before_utc,
            )
        )
        self.retired_issuing_certificates = _retired(self.directory, "issuing-")
        self.retired_tsa_certificates = _retired(self.directory, "tsa-")
        self.retired_root_certificates = _retired(self.directory, "root-")
        self.cross_certificates = _certificates(self.directory / _CROSS)
        self._keys.pop("signer", None)
        # A rollover by another process replaced these files: decrypt the keys anew.
        current = {
            "tsa": self.tsa_certificate,
            "issuing": self.issuing_certificate,
            "root": self.root_certificate,
        }
        for name, cert in current.items():
            if self._key_for.get(name) != cert.serial_number:
                self._keys.pop(name, None)
                self._key_for[name] = cert.serial_number

    @property
    def public_base_url(self) -> str:
        return self.urls.public_base_url

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The CA certificates above every end entity: (issuing CA, root CA), then, after a
        root rollover and until the old root ends, the issuing CA as certified by the old root
        and the old root (what signatures and timestamps carry, so that relying parties still
        trusting only the old root can build a path, and those trusting only the new one can
        still check every certificate carried)."""
        now = _now()
        issuing = self.issuing_certificate
        bridges = tuple(
            cert
            for cert in self.cross_certificates
            if cert.subject == issuing.subject
            and cert.public_key() == issuing.public_key()
            and cert.not_valid_after_utc > now
        )
        roots = tuple(
            root
            for root in self.retired_root_certificates
            if any(bridge.issuer == root.subject for bridge in bridges)
        )
        return (issuing, self.root_certificate, *bridges, *roots)

    @property
    def trust_roots(self) -> tuple[x509.Certificate, ...]:
        """Every root of this hierarchy, current first: what this authority's own verifiers
        trust (a licence signed before a root rollover chains to the old one)."""
        return (self.root_certificate, *reversed(self.retired_root_certificates))

    def trust_pem(self) -> bytes:
        """`trust_roots` as one PEM bundle (what `bizreg verify --trust` reads)."""
        return b"".join(certificate_pem(cert) for cert in self.trust_roots)

    @property
    def signer_key_is_external(self) -> bool:
        """True when the current signer's key lives outside this directory (a PKCS#11 token)."""
        return self._manifest.current_signer_key == "external"

    @property
    def signer_key_path(self) -> Path | None:
        """The current signer's encrypted key file, or None if the key lives in a token."""
        if self.signer_key_is_external:
            return None
        return _signer_path(self.directory, self._manifest.current_signer_serial, ".key.pem")

    def _key(self, name: str) -> PrivateKey:
        with self._lock:
            key = self._keys.get(name)
            if key is None:
                if name == "signer":
                    signer_path = self.signer_key_path
                    if signer_path is None:
                        raise PkiError("the current signer's key is held in a token")
                    path = signer_path
                    if not path.exists():
                        self._adopt_legacy_signer_key(path)
                elif name.startswith(("issuing-", "root-")):
                    path = self.directory / _RETIRED / f"{name}.key.pem"
                else:
                    path = self.directory / f"{name}.key.pem"
                key = load_encrypted_private_key(path.read_bytes(), self._passphrase)
                if key.public_key() != self._certificate_of_key(name).public_key():
                    # A rollover interrupted between writing a key and its certificate: refuse
                    # to sign anything (a CRL, a certificate) with a key its certificate lacks.
                    raise PkiError(
                        f"{path} does not belong to its certificate (an interrupted rollover?): "
                        f"restore the pair from a backup or from {_RETIRED}/"
                    )
                self._keys[name] = key
            return key

    def _certificate_of_key(self, name: str) -> x509.Certificate:
        if name == "signer":
            return self.signer_certificate
        if name == "tsa":
            return self.tsa_certificate
        return self._issuer_certificate(name)

    def _adopt_legacy_signer_key(self, path: Path) -> None:
        """Hierarchies created before keys moved under `signers/` kept the current key in
        `signer.key.pem`: move it into place (once, under the file lock)."""
        legacy = self.directory / "signer.key.pem"
        with locked(self.directory):
            if legacy.exists() and not path.exists():
                os.replace(legacy, path)

    def signer_key(self) -> PrivateKey:
        """The current licence-signing key (decrypted once, then kept)."""
        return self._key("signer")

    def tsa_key(self) -> PrivateKey:
        """The timestamp authority's key (decrypted once, then kept)."""
        return self._key("tsa")

    def certificate(self, serial_number: int) -> x509.Certificate:
        """Any certificate of this hierarchy by serial number."""
        for cert in self._all_certificates():
            if cert.serial_number == serial_number:
                return cert
        raise UnknownCertificate(f"no certificate with serial {serial_hex(serial_number)}")

    def _all_certificates(self) -> Iterator[x509.Certificate]:
        yield self.root_certificate
        yield self.issuing_certificate
        yield self.tsa_certificate
        yield from self.signer_certificates
        yield from self.retired_issuing_certificates
        yield from self.retired_tsa_certificates
        yield from self.retired_root_certificates
        yield from self.cross_certificates

    def revoked_entries(self) -> tuple[RevokedEntry, ...]:
        """Every revocation recorded, for both CAs."""
        return tuple(entry for entries in self._manifest.revoked.values() for entry in entries)

    # -- changes -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _changing(self) -> Iterator[Manifest]:
        """Serialise a change across threads and processes, on the newest state."""
        with self._lock, locked(self.directory):
            self._reload()
            manifest = self._manifest
            yield manifest
            write_atomically(self.directory / _MANIFEST, manifest.to_json())
            self._reload()

    def rotate_signer(self, *, common_name: str | None = None) -> x509.Certificate:
        """Replace the licence-signing key and certificate with new ones kept in files.

        The previous certificate is not revoked (licences it signed stay valid) and stays in
        `signers/`; its key is destroyed, as nothing needs it to validate old licences.
        """
        key = generate_private_key(self.key_algorithm)
        with self._changing() as manifest:
            retired = manifest.current_signer_serial, manifest.current_signer_key
            cert = self._issue_signer(manifest, key.public_key(), common_name)
            write_atomically(
                _signer_path(self.directory, cert.serial_number, ".key.pem"),
                encrypt_private_key(key, self._passphrase),
                private=True,
            )
            manifest.current_signer_serial = cert.serial_number
            manifest.current_signer_key = "file"
        self._after_signer_change(cert, retired)
        self._keys["signer"] = key
        return cert

    def _after_signer_change(
        self, cert: x509.Certificate, retired: tuple[int, Literal["file", "external"]]
    ) -> None:
        """Tidy up once the manifest names the new signer: refresh the `signer.pem` copy and
        destroy the retired key file."""
        write_atomically(self.directory / "signer.pem", certificate_pem(cert))
        serial, where = retired
        if where == "file" and serial != cert.serial_number:
            with contextlib.suppress(FileNotFoundError):
                _signer_path(self.directory, serial, ".key.pem").unlink()

    def issue_timestamping_certificate(self, public_key: PublicKey) -> x509.Certificate:
        """Certify a timestamping key held elsewhere (a PKCS#11 token) as the TSA's; the TSA's
        key file is destroyed. Earlier timestamps carry their own TSA certificate (kept in
        `retired/`)."""
        key_algorithm_of(public_key)
        with self._changing():
            self._write_tsa(public_key, None)
        with contextlib.suppress(FileNotFoundError):
            (self.directory / "tsa.key.pem").unlink()
        self._keys.pop("tsa", None)
        return self.tsa_certificate

    def issue_signing_certificate(
        self,
        public_key: PublicKey,
        *,
        common_name: str | None = None,
        make_current: bool = True,
    ) -> x509.Certificate:
        """Certify a licence-signing key held elsewhere (e.g. generated inside a PKCS#11 token).

        With `make_current`, it becomes the hierarchy's current signer and the key file of the
        previous one is destroyed.
        """
        key_algorithm_of(public_key)  # refuse algorithms we cannot sign licences with
        with self._changing() as manifest:
            retired = manifest.current_signer_serial, manifest.current_signer_key
            cert = self._issue_signer(manifest, public_key, common_name)
            if make_current:
                manifest.current_signer_serial = cert.serial_number
                manifest.current_signer_key = "external"
        if make_current:
            self._after_signer_change(cert, retired)
        return cert

    def _issue_signer(
        self, manifest: Manifest, public_key: PublicKey, common_name: str | None
    ) -> x509.Certificate:
        now = _now()
        cert = licence_signing_certificate(
            public_key,
            common_name or self.names.common_name(f"Licence Signing {now:%Y-%m-%d}"),
            self.names,
            self.issuing_certificate,
            self._key("issuing"),
            self.urls,
            now=now,
            lifetime=self._capped(self.validity.signer, self.issuing_certificate),
        )
        write_atomically(
            _signer_path(self.directory, cert.serial_number, ".pem"), certificate_pem(cert)
        )
        return cert

    # -- rollovers ----------------------------------------------------------------------------

    def _capped(self, lifetime: dt.timedelta, issuer: x509.Certificate) -> dt.timedelta:
        """A lifetime that ends no later than the issuer's certificate (a certificate is of no
        use once its issuer has expired, and archive renewal plans by the earliest end)."""
        return min(lifetime, issuer.not_valid_after_utc - _now())

    @property
    def tsa_key_is_external(self) -> bool:
        """True when the TSA's key lives outside this directory (a PKCS#11 token)."""
        return not (self.directory / "tsa.key.pem").exists()

    def rotate_tsa(self) -> x509.Certificate:
        """A new TSA certificate before the old one expires, under the current issuing CA.
        A key kept here is replaced by a new one (the old is destroyed); a key in a token is
        certified anew (the token keeps it, non-extractable, and nothing here can rekey it).
        Earlier timestamps carry their own TSA certificate, kept in `retired/`."""
        with self._changing():
            if self.tsa_key_is_external:
                self._write_tsa(_public_key(self.tsa_certificate), None)
            else:
                key = generate_private_key(self.key_algorithm)
                self._write_tsa(key.public_key(), key)
        return self.tsa_certificate

    def renew_signer(self) -> x509.Certificate:
        """A new licence-signing certificate before the current one expires, under the current
        issuing CA: a new key when it is kept here (`rotate_signer`), the same key certified
        anew when it lives in a token."""
        if self.signer_key_is_external:
            return self.issue_signing_certificate(_public_key(self.signer_certificate))
        return self.rotate_signer()

    def _write_tsa(self, public_key: PublicKey, key: PrivateKey | None) -> None:
        """Certify `public_key` as the TSA's under the current issuing CA and retire the old
        certificate (inside `_changing`); `key`, if it is to be kept here."""
        old = self.tsa_certificate
        cert = timestamping_certificate(
            public_key,
            self.names,
            self.issuing_certificate,
            self._key("issuing"),
            self.urls,
            now=_now(),
            lifetime=self._capped(self.validity.tsa, self.issuing_certificate),
        )
        (self.directory / _RETIRED).mkdir(exist_ok=True)
        write_atomically(
            self.directory / _RETIRED / f"tsa-{serial_hex(old.serial_number)}.pem",
            certificate_pem(old),
        )
        if key is not None:
            write_atomically(
                self.directory / "tsa.key.pem",
                encrypt_private_key(key, self._passphrase),
                private=True,
            )
            self._keys["tsa"] = key
            self._key_for["tsa"] = cert.serial_number
        write_atomically(self.directory / "tsa.pem", certificate_pem(cert))

    def rotate_issuing_ca(self) -> x509.Certificate:
        """A new issuing CA under the root, before the old one expires, and a new TSA and
        licence signer certified by it (keys in a token are certified anew). The old CA is
        retired, not revoked: it keeps its key to issue CRLs for the certificates it issued
        until it expires (`crls_der` includes them), so licences they signed or timestamped
        can still be renewed."""
        issuing_key = generate_private_key(self.key_algorithm)
        with self._changing() as manifest:
            self._retire_ca(manifest, "issuing", self.issuing_certificate)
            cert = issuing_ca_certificate(
                issuing_key.public_key(),
                self.names,
                self.root_certificate,
                self._key("root"),
                self.urls,
                now=_now(),
                lifetime=self._capped(self.validity.issuing, self.root_certificate),
                # the retired ones (not yet counting `old`) and `old` came before it
                generation=len(self.retired_issuing_certificates) + 2,
            )
            write_atomically(
                self.directory / "issuing.key.pem",
                encrypt_private_key(issuing_key, self._passphrase),
                private=True,
            )
            write_atomically(self.directory / "issuing.pem", certificate_pem(cert))
            now = _now()
            for root in self.retired_root_certificates:  # until they end: see `chain`
                if root.not_valid_after_utc > now:
                    self._write_cross(
                        cross_certificate(
                            cert,
                            root,
                            self._key(_retired_name("root", root)),
                            self.urls,
                            not_before=now - dt.timedelta(minutes=5),
                            not_after=min(cert.not_valid_after_utc, root.not_valid_after_utc),
                        )
                    )
            self.issuing_certificate = cert
            self._keys["issuing"] = issuing_key
            self._key_for["issuing"] = cert.serial_number
            manifest.crl_numbers["issuing"] = 0
            self._issue_crl(manifest, "issuing")
            if self.tsa_key_is_external:
                self._write_tsa(_public_key(self.tsa_certificate), None)
            else:
                tsa_key = generate_private_key(self.key_algorithm)
                self._write_tsa(tsa_key.public_key(), tsa_key)
        self.renew_signer()
        return cert

    def rotate_root(self) -> x509.Certificate:
        """A new root before the old one expires (RFC 4210 §4.4), then a new issuing CA, TSA
        and signer under it. The new root certifies the old one, and the old root the new
        issuing CA (`cross/`, see `cross_certificate`); the old root is retired, not revoked:
        it keeps its key to issue the CRL of what it certified until it expires. Relying
        parties should add the new root to their trust before the old one ends; until then
        the cross-certificate licences carry bridges to it."""
        root_key = generate_private_key(self.key_algorithm)
        with self._changing() as manifest:
            old = self.root_certificate
            self._retire_ca(manifest, "root", old)
            now = _now()
            new = root_ca_certificate(
                root_key,
                self.names,
                now=now,
                lifetime=self.validity.root,
                generation=len(self.retired_root_certificates) + 2,
            )
            old_with_new = cross_certificate(
                old,
                new,
                root_key,
                self.urls,
                not_before=old.not_valid_before_utc,
                not_after=old.not_valid_after_utc,
            )
            self._write_cross(old_with_new)
            write_atomically(
                self.directory / "root.key.pem",
                encrypt_private_key(root_key, self._passphrase),
                private=True,
            )
            write_atomically(self.directory / "root.pem", certificate_pem(new))
            self.root_certificate = new
            self._keys["root"] = root_key
            self._key_for["root"] = new.serial_number
            self.retired_root_certificates = (*self.retired_root_certificates, old)
            manifest.crl_numbers["root"] = 0
            self._issue_crl(manifest, "root")
        self.rotate_issuing_ca()
        return self.root_certificate

    def _retire_ca(self, manifest: Manifest, issuer: _Issuer, cert: x509.Certificate) -> None:
        """Move the current CA `issuer` ("root" or "issuing") to `retired/` under its serial
        number, with its key, its CRL, its CRL numbering and its revocations (inside
        `_changing`, before its successor takes the current files)."""
        retired = _retired_name(issuer, cert)
        directory = self.directory / _RETIRED
        directory.mkdir(exist_ok=True)
        write_atomically(directory / f"{retired}.pem", certificate_pem(cert))
        write_atomically(
            directory / f"{retired}.key.pem",
            encrypt_private_key(self._key(issuer), self._passphrase),
            private=True,
        )
        write_atomically(
            directory / f"{retired}-crl.der", (self.directory / _crl_file(issuer)).read_bytes()
        )
        manifest.crl_numbers[retired] = manifest.crl_numbers.get(issuer, 1)
        manifest.revoked[retired] = manifest.revoked.pop(issuer, [])

    def _write_cross(self, cert: x509.Certificate) -> None:
        (self.directory / _CROSS).mkdir(exist_ok=True)
        write_atomically(
            self.directory / _CROSS / f"{serial_hex(cert.serial_number)}.pem",
            certificate_pem(cert),
        )

    def current_certificates(self) -> dict[str, x509.Certificate]:
        """What the service signs with, by role: root, issuing_ca, tsa, signer."""
        return {
            "root": self.root_certificate,
            "issuing_ca": self.issuing_certificate,
            "tsa": self.tsa_certificate,
            "signer": self.signer_certificate,
        }

    def due(self, margin: dt.timedelta) -> list[str]:
        """The roles whose certificate `roll_over(margin)` would replace now: the root within
        four times the margin of its end (before the issuing CAs it certifies are cut short
        by it), the issuing CA within twice the margin, the TSA within the margin (archive
        timestamps must outlive it), the licence signer within `SIGNER_RENEWAL` (or the
        margin, if shorter)."""
        left = {
            role: cert.not_valid_after_utc - _now()
            for role, cert in self.current_certificates().items()
        }
        limits = {
            "root": 4 * margin,
            "issuing_ca": 2 * margin,
            "tsa": margin,
            "signer": min(SIGNER_RENEWAL, margin),
        }
        return [role for role, limit in limits.items() if left[role] <= limit]

    def roll_over(self, margin: dt.timedelta) -> list[str]:
        """Replace whatever is `due`, so that fresh timestamps outlive `margin` and the
        service never signs with an expired certificate. A new root brings a new issuing CA,
        which brings a new TSA and signer. Keys in a token are certified anew. Returns what
        was rotated."""
        done: list[str] = []
        due = self.due(margin)
        if "root" in due:
            self.rotate_root()
            done += ["root", "issuing_ca"]
        elif "issuing_ca" in due:
            self.rotate_issuing_ca()
            done.append("issuing_ca")
        if "tsa" in self.due(margin):
            self.rotate_tsa()
            done.append("tsa")
        if "signer" in self.due(margin):
            self.renew_signer()
            done.append("signer")
        return done

    def revoke_certificate(
        self,
        serial_number: int,
        reason: RevocationReason = RevocationReason.UNSPECIFIED,
        *,
        revoked_at: dt.datetime | None = None,
        invalidity_date: dt.datetime | None = None,
    ) -> None:
        """Revoke a certificate of this hierarchy and re-issue its issuer's CRL at once.
        `invalidity_date`: since when the key is known or suspected compromised (a key
        compromise should say it: verifiers then trust exactly the signatures timestamped
        before it; without it, no timestamp proves a signature predates the compromise)."""
        cert = self.certificate(serial_number)
        if cert == self.root_certificate:
            raise PkiError("the root cannot be revoked: remove it from the relying parties' trust")
        issuer = self._issuer_of(cert)
        entry = RevokedEntry(serial_number, revoked_at or _now(), reason, invalidity_date)
        with self._changing() as manifest:
            entries = manifest.revoked.setdefault(issuer, [])
            if any(e.serial_number == serial_number for e in entries):
                return
            entries.append(entry)
            self._issue_crl(manifest, issuer)

    def _issuer_of(self, cert: x509.Certificate) -> _Issuer:
        """Which of this hierarchy's CAs issued `cert` (and so lists it in its CRL)."""
        candidates: list[tuple[_Issuer, x509.Certificate]] = [
            ("issuing", self.issuing_certificate),
            ("root", self.root_certificate),
            *((_retired_name("issuing", c), c) for c in self.retired_issuing_certificates),
            *((_retired_name("root", c), c) for c in self.retired_root_certificates),
        ]
        for issuer, ca in candidates:
            if cert.issuer == ca.subject and _issued_by(cert, ca):
                return issuer
        raise UnknownCertificate(f"no CA here issued {serial_hex(cert.serial_number)}")

    def _issuer_certificate(self, issuer: _Issuer) -> x509.Certificate:
        if issuer == "root":
            return self.root_certificate
        if issuer == "issuing":
            return self.issuing_certificate
        return read_certificate(self.directory / _RETIRED / f"{issuer}.pem")

    def _live_retired(self) -> Iterator[tuple[_Issuer, x509.Certificate]]:
        """Retired CAs that have not expired yet: they still issue CRLs."""
        now = _now()
        for kind, certs in (
            ("issuing", self.retired_issuing_certificates),
            ("root", self.retired_root_certificates),
        ):
            for cert in certs:
                if cert.not_valid_after_utc > now:
                    yield _retired_name(kind, cert), cert

    def _issue_crl(self, manifest: Manifest, issuer: _Issuer) -> bytes:
        number = manifest.crl_numbers.get(issuer, 0) + 1
        manifest.crl_numbers[issuer] = number
        now = _now()
        crl = build_crl(
            self._issuer_certificate(issuer),
            self._key(issuer),
            manifest.revoked.get(issuer, []),
            number=number,
            this_update=now - dt.timedelta(minutes=5),
            next_update=now + self.crl_policy.period(issuer),
        )
        der = crl.public_bytes(serialization.Encoding.DER)
        write_atomically(self.directory / _crl_file(issuer), der)
        return der

    # -- CRLs --------------------------------------------------------------------------------

    def _crl_der(self, issuer: _Issuer) -> bytes:
        path = self.directory / _crl_file(issuer)
        der = path.read_bytes()
        if not self._crl_due(der, issuer):
            return der
        try:
            with self._changing() as manifest:
                der = path.read_bytes()  # another process may have re-issued it meanwhile
                if self._crl_due(der, issuer):
                    der = self._issue_crl(manifest, issuer)
        except Exception as exc:  # a read-only directory, a full disk, an unusable key…
            # The CRL in hand stays authoritative until its nextUpdate: keep serving it and
            # say so (the re-issue is tried again at the next request).
            failure = f"{type(exc).__name__}: {exc}"
            self.crl_refresh_failures[issuer] = failure
            next_update = x509.load_der_x509_crl(der).next_update_utc
            if next_update is not None and _now() < next_update:
                logger.warning("CRL of %s not re-issued, still served: %s", issuer, failure)
                return der
            raise CrlUnavailable(f"the {issuer} CRL has lapsed: {failure}") from exc
        self.crl_refresh_failures.pop(issuer, None)
        return der

    def _crl_due(self, der: bytes, issuer: _Issuer) -> bool:
        crl = x509.load_der_x509_crl(der)
        next_update = crl.next_update_utc
        if next_update is None:
            return True
        return _now() >= next_update - self.crl_policy.period(issuer) / 2

    def current_crl_der(self) -> bytes:
        """The issuing CA's current CRL (DER), re-issued first if it is half-way to lapsing."""
        return self._crl_der("issuing")

    def root_crl_der(self) -> bytes:
        """The root's current CRL (DER), covering the issuing CA."""
        return self._crl_der("root")

    def ca(self, serial: str) -> tuple[x509.Certificate, Callable[[], bytes]]:
        """Any CA of this hierarchy, current or retired, root or issuing, by serial number
        (hex, as in the URLs its certificates name), and how to read its current CRL;
        LookupError if there is none (or it has expired: it issues no more CRLs)."""
        if serial == serial_hex(self.issuing_certificate.serial_number):
            return self.issuing_certificate, self.current_crl_der
        if serial == serial_hex(self.root_certificate.serial_number):
            return self.root_certificate, self.root_crl_der
        for issuer, cert in self._live_retired():
            if serial == serial_hex(cert.serial_number):
                return cert, functools.partial(self._crl_der, issuer)
        raise LookupError(serial)

    def crls_der(self) -> tuple[bytes, ...]:
        """The CRLs a relying party needs to check a whole chain: (issuing CA's, root's), then
        those of retired issuing CAs and roots that have not expired yet."""
        retired = tuple(self._crl_der(issuer) for issuer, _ in self._live_retired())
        return (self.current_crl_der(), self.root_crl_der(), *retired)


def _public_key(cert: x509.Certificate) -> PublicKey:
    """The key a certificate of this hierarchy certifies (one of the algorithms we issue)."""
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise PkiError(f"certificate {serial_hex(cert.serial_number)} has a key we cannot use")
    return key


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _retired(directory: Path, prefix: str) -> tuple[x509.Certificate, ...]:
    """Certificates a rollover replaced, oldest first."""
    folder = directory / _RETIRED
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            (
                read_certificate(path)
                for path in folder.glob(f"{prefix}*.pem")
                if not path.name.endswith(".key.pem")
            ),
            key=lambda cert: cert.not_valid_before_utc,
        )
    )


def root_certificates(directory: str | os.PathLike[str]) -> tuple[x509.Certificate, ...]:
    """Every root of the hierarchy in `directory`, current first, read without the passphrase
    (what `Pki.trust_roots` holds, for tools that only publish or trust)."""
    path = Path(directory)
    return (read_certificate(path / "root.pem"), *reversed(_retired(path, "root-")))


def _certificates(folder: Path) -> tuple[x509.Certificate, ...]:
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            (read_certificate(path) for path in folder.glob("*.pem")),
            key=lambda cert: cert.not_valid_before_utc,
        )
    )


def _retired_name(kind: str, cert: x509.Certificate) -> _Issuer:
    return f"{kind}-{serial_hex(cert.serial_number)}"


def _signer_path(directory: Path, serial: int, suffix: str) -> Path:
    return directory / "signers" / f"{serial_hex(serial)}{suffix}"


def _crl_file(issuer: _Issuer) -> str:
    if issuer.startswith(("issuing-", "root-")):
        return f"{_RETIRED}/{issuer}-crl.der"
    return "root-crl.der" if issuer == "root" else "crl.der"


def init_pki(
    directory: str | os.PathLike[str],
    *,
    public_base_url: str,
    passphrase: str | bytes,
    key_algorithm: KeyAlgorithm = "ecdsa-p256",
    organization: str = "bizreg development",
    validity: Validity | None = None,
    crl_policy: CrlPolicy | None = None,
) -> Pki:
    """Create the development hierarchy in `directory`, or load it if it already exists.

    Idempotent: an existing hierarchy is loaded unchanged (a different `public_base_url` or
    algorithm is logged, not applied — certificates already issued carry the old URLs).
    """
    if key_algorithm not in KEY_ALGORITHMS:
        raise ValueError(
            f"unsupported key algorithm {key_algorithm!r}; use one of {KEY_ALGORITHMS}"
        )
    path = Path(directory)
    secret = _as_bytes(passphrase)
    path.mkdir(parents=True, exist_ok=True)
    with locked(path):
        if not (path / _MANIFEST).exists():
            _create(
                path,
                secret,
                public_base_url,
                key_algorithm,
                organization,
                validity or Validity(),
                crl_policy or CrlPolicy(),
            )
    pki = Pki(path, secret, validity=validity, crl_policy=crl_policy)
    _check_passphrase(pki)
    if pki.public_base_url != public_base_url or pki.key_algorithm != key_algorithm:
        logger.warning(
            "PKI in %s exists with base URL %s and %s keys; keeping it (asked for %s, %s)",
            path,
            pki.public_base_url,
            pki.key_algorithm,
            public_base_url,
            key_algorithm,
        )
    return pki


def load_pki(
    directory: str | os.PathLike[str],
    passphrase: str | bytes,
    *,
    validity: Validity | None = None,
    crl_policy: CrlPolicy | None = None,
) -> Pki:
    """Load an existing hierarchy; `WrongPassphrase` at once if the passphrase is wrong."""
    pki = Pki(Path(directory), _as_bytes(passphrase), validity=validity, crl_policy=crl_policy)
    _check_passphrase(pki)
    return pki


def _check_passphrase(pki: Pki) -> None:
    """Fail now rather than at the first signature if the passphrase is wrong."""
    if pki.signer_key_is_external:
        pki._key("issuing")
    else:
        pki.signer_key()


def _create(
    path: Path,
    passphrase: bytes,
    public_base_url: str,
    key_algorithm: KeyAlgorithm,
    organization: str,
    validity: Validity,
    crl_policy: CrlPolicy,
) -> None:
    now = _now()
    names = CaName(organization)
    urls = PkiUrls(public_base_url)
    root_key, issuing_key, signer_key, tsa_key = (
        generate_private_key(key_algorithm) for _ in range(4)
    )
    root = root_ca_certificate(root_key, names, now=now, lifetime=validity.root)
    issuing = issuing_ca_certificate(
        issuing_key.public_key(), names, root, root_key, urls, now=now, lifetime=validity.issuing
    )
    signer = licence_signing_certificate(
        signer_key.public_key(),
        names.common_name(f"Licence Signing {now:%Y-%m-%d}"),
        names,
        issuing,
        issuing_key,
        urls,
        now=now,
        lifetime=validity.signer,
    )
    tsa = timestamping_certificate(
        tsa_key.public_key(), names, issuing, issuing_key, urls, now=now, lifetime=validity.tsa
    )
    (path / "signers").mkdir(exist_ok=True)
    for name, cert, key in (
        ("root", root, root_key),
        ("issuing", issuing, issuing_key),
        ("tsa", tsa, tsa_key),
    ):
        write_atomically(
            path / f"{name}.key.pem", encrypt_private_key(key, passphrase), private=True
        )
        write_atomically(path / f"{name}.pem", certificate_pem(cert))
    write_atomically(
        _signer_path(path, signer.serial_number, ".key.pem"),
        encrypt_private_key(signer_key, passphrase),
        private=True,
    )
    write_atomically(_signer_path(path, signer.serial_number, ".pem"), certificate_pem(signer))
    write_atomically(path / "signer.pem", certificate_pem(signer))
    issuers: tuple[tuple[_Issuer, x509.Certificate, PrivateKey], ...] = (
        ("root", root, root_key),
        ("issuing", issuing, issuing_key),
    )
    for issuer, issuer_cert, issuer_key in issuers:
        crl = build_crl(
            issuer_cert,
            issuer_key,
            [],
            number=1,
            this_update=now - dt.timedelta(minutes=5),
            next_update=now + crl_policy.period(issuer),
        )
        write_atomically(path / _crl_file(issuer), crl.public_bytes(serialization.Encoding.DER))
    manifest = Manifest(
        public_base_url=public_base_url,
        key_algorithm=key_algorithm,
        organization=organization,
        current_signer_serial=signer.serial_number,
        current_signer_key="file",
        crl_numbers={"root": 1, "issuing": 1},
    )
    # The manifest is written last: its presence means the hierarchy is complete.
    write_atomically(path / _MANIFEST, manifest.to_json())
