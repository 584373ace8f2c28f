"""The registration authority's signing setup, composed from `signing` and `templates`.

Built once per process: the keys are decrypted once, the timestamp authority runs in-process
and the signer keeps its validation data, so a signature costs only what it must.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import TimeStamper

from registration.clock import CHINA_TIME
from registration.issuance import hsm
from registration.settings import Settings
from signing import (
    KeyStore,
    LicenceSigner,
    Pki,
    PkiError,
    SealBox,
    SealFont,
    SealStampStyle,
    TimestampAuthority,
    init_pki,
    make_timestamper,
)
from signing.keys import PrivateKey
from templates import NOTICE_SEAL_BOX, SEAL_BOX, LicenceContent, render_licence
from templates.fonts import FONT_FILE

SEAL_TIME_LABEL = "签章时间 Signed"


@dataclass
class LicenceAuthority:
    settings: Settings
    pki: Pki
    tsa: TimestampAuthority
    signer: LicenceSigner
    _lock: threading.Lock
    # The `pki.generation` the TSA and signer were built from.
    _built_from: int = 0

    def __post_init__(self) -> None:
        self._built_from = self.pki.generation

    def follow_pki(self) -> None:
        """Sign and timestamp with what the hierarchy on disk holds now. Another process may
        have rolled the TSA or the issuing CA over (the worker's archive job), rotated the
        signer (`bizreg pki`) or revoked a certificate: without this, this process would go
        on timestamping with a TSA certificate near its end until restarted. A `stat` per
        call when nothing changed."""
        self.pki.reload_if_changed()
        if self.pki.generation == self._built_from:
            return
        with self._lock:
            pki = self.pki
            self._built_from = pki.generation
            rolled = (
                self.tsa.certificate != pki.tsa_certificate
                or self.tsa.chain != tuple(pki.chain)
                or self.signer.signer_certificate != pki.signer_certificate
            )
            if not rolled:  # a CRL or a revocation: validate afresh at the next signature
                self.signer.invalidate()
                return
            if self.tsa.certificate != pki.tsa_certificate or self.tsa.chain != tuple(pki.chain):
                # A token's key stays where it is: only its certificate is new.
                key = self.tsa.keystore if self.settings.pkcs11_tsa_key else pki.tsa_key()
                self.tsa = TimestampAuthority(pki.tsa_certificate, key, pki.chain)
            self.signer = _signer(self.settings, pki, self.tsa)

    def issue_pdf(self, content: LicenceContent) -> bytes:
        """Render and sign one licence (PAdES, level from settings, visible seal)."""
        self.follow_pki()
        pdf = render_licence(content, public_base_url=self.settings.base_url)
        box = SealBox(SEAL_BOX.page, SEAL_BOX.x1, SEAL_BOX.y1, SEAL_BOX.x2, SEAL_BOX.y2)
        return self.signer.sign(
            pdf,
            seal_box=box,
            reason=f"营业执照 Business licence {content.uscc} v{content.version}",
            location=self.settings.authority_name_en,
        )

    def sign_notice(self, pdf: bytes, *, title: str, number: str) -> bytes:
        """Sign one of the authority's notices with the licence signer (same PAdES level)."""
        self.follow_pki()
        box = SealBox(
            NOTICE_SEAL_BOX.page,
            NOTICE_SEAL_BOX.x1,
            NOTICE_SEAL_BOX.y1,
            NOTICE_SEAL_BOX.x2,
            NOTICE_SEAL_BOX.y2,
        )
        return self.signer.sign(
            pdf, seal_box=box, reason=f"{title} {number}", location=self.settings.authority_name_en
        )

    @property
    def signer_certificate(self) -> x509.Certificate:
        return self.signer.signer_certificate

    @property
    def signer_certificate_sha256(self) -> str:
        der = self.signer_certificate.public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()

    def rotate_signer(self) -> x509.Certificate:
        """A new signing key and certificate; licences signed with the old one stay valid.
        Not for a key in the token: nothing here can create keys in it under a new name."""
        if self.settings.pkcs11_signer_key is not None:
            raise PkiError(
                "the licence signer's key is in the token: generate the new one there by "
                "pointing BIZREG_PKCS11_SIGNER_KEY to a new object label, then run "
                "`bizreg pki init --pkcs11`"
            )
        with self._lock:
            certificate = self.pki.rotate_signer()
            self.signer = _signer(self.settings, self.pki, self.tsa)
            self._built_from = self.pki.generation
            return certificate

    def revoke(self, serial_number: int) -> None:
        self.pki.revoke_certificate(serial_number)
        self.signer.invalidate()

    def roll_over(self, margin: dt.timedelta) -> list[str]:
        """Roll the issuing CA, the built-in TSA and the licence signer over before they come
        near their end (archive renewal needs timestamps that outlive `margin`; a licence must
        never be signed with an expired certificate), and sign with the new ones from now on.
        Keys held in the token stay there and are certified anew."""
        with self._lock:
            rolled = self.pki.roll_over(margin)
            if rolled:
                self._rebuild()
            return rolled

    def rotate_root(self) -> list[str]:
        """A root rollover now, due or not (`Pki.rotate_root`), then sign with the new
        hierarchy. Returns what was rotated."""
        with self._lock:
            self.pki.rotate_root()
            self._rebuild()
        return ["root", "issuing_ca"]

    def _rebuild(self) -> None:
        """The TSA and signer from the hierarchy as it is now (under `_lock`)."""
        self.tsa = TimestampAuthority(
            self.pki.tsa_certificate, _tsa_key(self.settings, self.pki), self.pki.chain
        )
        self.signer = _signer(self.settings, self.pki, self.tsa)
        self._built_from = self.pki.generation

    def archive_timestamper(self, clock: Callable[[], dt.datetime] | None = None) -> TimeStamper:
        """The timestamp client for archive renewals: the configured external TSA, or the
        built-in one with the hierarchy's current TSA certificate (`clock`: its time)."""
        self.follow_pki()
        if self.settings.tsa_url:
            return make_timestamper(url=self.settings.tsa_url)
        if clock is None:
            return make_timestamper(authority=self.tsa)
        key = self.tsa.keystore
        return make_timestamper(
            authority=TimestampAuthority(self.tsa.certificate, key, self.tsa.chain, clock=clock)
        )


def _seal(settings: Settings) -> SealStampStyle:
    lines = (settings.authority_name_zh, settings.authority_name_en)
    characters = "".join(lines) + SEAL_TIME_LABEL + "0123456789-:+ UTC"
    return SealStampStyle(
        font=SealFont(FONT_FILE, characters),
        lines=lines,
        time_label=SEAL_TIME_LABEL,
        timezone=CHINA_TIME,
    )


def _signer(settings: Settings, pki: Pki, tsa: TimestampAuthority) -> LicenceSigner:
    timestamper = (
        make_timestamper(url=settings.tsa_url)
        if settings.tsa_url
        else make_timestamper(authority=tsa)
    )
    keystore = None
    if settings.pkcs11_signer_key is not None:
        keystore = hsm.signer_keystore(settings)
        if not pki.signer_key_is_external or not hsm.same_key(
            pki.signer_certificate.public_key(), keystore.public_key
        ):
            raise PkiError(
                "the PKI's signing certificate is not for the token's key: "
                "run `bizreg pki init --pkcs11`"
            )
    return LicenceSigner.for_pki(
        pki,
        keystore=keystore,
        timestamper=timestamper,
        level=settings.signature_level,
        seal=_seal(settings),
        single_pass=settings.single_pass_signing,
    )


def init_token_signer(settings: Settings) -> LicenceAuthority:
    """`bizreg pki init --pkcs11`: the hierarchy, and a licence-signing key generated inside
    the token whose certificate becomes the current signer (the file key is destroyed)."""
    pki = _pki(settings)
    if settings.pkcs11_signer_key is None:
        raise PkiError("set BIZREG_PKCS11_SIGNER_KEY (and BIZREG_PKCS11_MODULE, the PIN)")
    keystore = hsm.generate_key(settings, settings.pkcs11_signer_key)
    if not (
        pki.signer_key_is_external
        and hsm.same_key(pki.signer_certificate.public_key(), keystore.public_key)
    ):
        pki.issue_signing_certificate(keystore.public_key)
    if settings.pkcs11_tsa_key is not None:
        tsa_key = hsm.generate_key(settings, settings.pkcs11_tsa_key)
        if not hsm.same_key(pki.tsa_certificate.public_key(), tsa_key.public_key):
            pki.issue_timestamping_certificate(tsa_key.public_key)
    if settings.pkcs11_log_key is not None:
        hsm.log_key(settings, create=True)
    return build_authority(settings)


def _pki(settings: Settings) -> Pki:
    return init_pki(
        settings.pki_dir,
        public_base_url=settings.base_url,
        passphrase=settings.pki_passphrase,
        key_algorithm=settings.pki_key_algorithm,
        organization="Dongguan Market Regulation",  # X.520 caps names at 64 characters
    )


def build_authority(settings: Settings) -> LicenceAuthority:
    """Load the PKI from the data directory, creating the development hierarchy on first run."""
    pki = _pki(settings)
    tsa = TimestampAuthority(pki.tsa_certificate, _tsa_key(settings, pki), pki.chain)
    return LicenceAuthority(settings, pki, tsa, _signer(settings, pki, tsa), threading.Lock())


def _tsa_key(settings: Settings, pki: Pki) -> KeyStore | PrivateKey:
    """The TSA's key: in the token named by the settings, or the hierarchy's file."""
    if settings.pkcs11_tsa_key is None:
        return pki.tsa_key()
    key = hsm.keystore(settings, settings.pkcs11_tsa_key)
    if not hsm.same_key(pki.tsa_certificate.public_key(), key.public_key):
        raise PkiError("the TSA certificate is not for the token's key: run pki init --pkcs11")
    return key
