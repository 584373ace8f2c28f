"""`LicenceSigner`: PAdES baseline signatures (ETSI EN 319 142-1) on licence PDFs.

Levels (EN 319 142-1 §6):
  B-B    CAdES-based signature (ETSI.CAdES.detached) with signing-certificate-v2
  B-T    + a signature timestamp from a TSA
  B-LT   + the certificates and CRLs needed to validate signer and TSA, in the document's DSS
  B-LTA  + a document timestamp over all of it, so the validation data can be renewed later

Where the time goes, and what we keep between signatures:
  * the signer's key, decrypted once (`FileKeyStore`) or in a token (`Pkcs11KeyStore`);
  * the timestamper, with pyHanko's dummy token that sizes the signature;
  * validating the signer's and the TSA's chains against our CRLs (pyHanko would redo it for
    every signature): done once, the result (paths + CRLs for the DSS) reused until
    `revalidate_after` passes (5 minutes by default; the CRLs are read afresh then), a CRL
    comes within an hour of its nextUpdate, or `invalidate()` is called;
  * the reserved signature size, estimated once with a dry-run signature;
  * the CMS structure, assembled from pre-encoded parts (`KeyStoreSigner`);
  * the seal's font, subset once (`SealFont`).
The DSS goes into the same revision as the signature (include_vri off), so a B-LT licence is a
single incremental update that the signature covers whole.

`LicenceSigner.sign` is thread-safe (and `async_sign` safe to run concurrently on one event
loop): per-signature objects are fresh, shared ones are immutable, and the cached validation is
replaced atomically.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from asn1crypto import crl as asn1_crl
from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfTimeStamper,
    PreSignValidationStatus,
    SigDSSPlacementPreference,
)
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from signing.cms_signer import KeyStoreSigner, TokenSource, asn1_certificate
from signing.errors import SignerNotUsable
from signing.keystore import FileKeyStore, KeyStore
from signing.pdf_scan import UnrecognisedPdf, scan
from signing.seal import SealStampStyle
from signing.single_pass import (
    DocumentTimestamp,
    SealAppearance,
    SignatureRequest,
    ValidationData,
    sign_scanned,
)
from signing.tsa import InProcessTimeStamper, TimestampAuthority

if TYPE_CHECKING:
    from signing.pki import Pki

__all__ = ["Level", "LicenceSigner", "SealBox", "SealPlacement"]

logger = logging.getLogger(__name__)

Level: TypeAlias = Literal["B-B", "B-T", "B-LT", "B-LTA"]
_LEVELS: tuple[Level, ...] = ("B-B", "B-T", "B-LT", "B-LTA")
CrlSource: TypeAlias = Sequence[bytes] | Callable[[], Sequence[bytes]]

_DIGEST = "sha256"
# Validate again this long before a CRL's nextUpdate, so we never embed a lapsing CRL.
_CRL_HEADROOM = dt.timedelta(hours=1)


class SealPlacement(Protocol):
    """Anything naming a page and a rectangle, e.g. `SealBox` or the licence template's own
    `templates.SEAL_BOX` (a NamedTuple with the same fields)."""

    @property
    def page(self) -> int: ...
    @property
    def x1(self) -> float: ...
    @property
    def y1(self) -> float: ...
    @property
    def x2(self) -> float: ...
    @property
    def y2(self) -> float: ...


@dataclass(frozen=True)
class SealBox:
    """Where the visible seal goes: page index (0-based, negative from the end) and the
    rectangle in PDF user space (points, origin bottom-left)."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    def as_box(self) -> tuple[int, int, int, int]:
        return _pyhanko_box(self)


def _pyhanko_box(placement: SealPlacement) -> tuple[int, int, int, int]:
    return (
        round(placement.x1),
        round(placement.y1),
        round(placement.x2),
        round(placement.y2),
    )


@dataclass(frozen=True)
class _Prepared:
    """Everything about the next signatures that does not depend on the document."""

    validation: PreSignValidationStatus | None
    validation_data: ValidationData | None  # the same, as the DSS's DER objects
    bytes_reserved: int
    timestamp_bytes_reserved: int | None
    valid_until: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LicenceSigner:
    """Signs licence PDFs as PAdES baseline signatures at `level` (default B-LT).

    `chain`: the CA certificates above `signer_cert` (issuing CA, root). `trust_roots`
    default to the self-signed certificates of `chain` — what relying parties trust.
    `crls`: DER CRLs covering the signer's and the TSA's chains, or a callable returning the
    current ones (e.g. `pki.crls_der`), consulted at every re-validation.
    `timestamper` is required from B-T up: an `InProcessTimeStamper` over our own TSA, or
    pyHanko's `HTTPTimeStamper` for an external one (see `signing.tsa.make_timestamper`).

    `single_pass` (default): sign documents that `signing.pdf_scan` recognises (what our
    templates write) by appending the update directly (`signing.single_pass`), without
    pyHanko parsing and re-writing the file; anything else, or a visible signature without a
    `seal` style, takes the pyHanko path. `clock` is the signing time of the single-pass
    path (/M and the seal's time; the timestamps carry the TSA's own time).
    """

    def __init__(
        self,
        keystore: KeyStore,
        signer_cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
        timestamper: TimeStamper | None,
        crls: CrlSource = (),
        *,
        level: Level = "B-LT",
        seal: SealStampStyle | None = None,
        trust_roots: Sequence[x509.Certificate] | None = None,
        revalidate_after: dt.timedelta = dt.timedelta(minutes=5),
        timestamp_field_name: str = "LicenceArchiveTimestamp",
        single_pass: bool = True,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if level not in _LEVELS:
            raise ValueError(f"unknown PAdES level {level!r}; use one of {_LEVELS}")
        if level != "B-B" and timestamper is None:
            raise ValueError(f"PAdES {level} needs a timestamper")
        self.level: Level = level
        self.signer_certificate = signer_cert
        self.chain = tuple(chain)
        self.seal = seal
        self.timestamper = timestamper if level != "B-B" else None
        self.revalidate_after = revalidate_after
        self.timestamp_field_name = timestamp_field_name
        self.single_pass = single_pass
        self._clock = clock or _now
        self._signer = KeyStoreSigner(keystore, signer_cert, self.chain)
        roots = (
            trust_roots
            if trust_roots is not None
            else [c for c in self.chain if c.issuer == c.subject]
        )
        if not roots:
            raise ValueError("no trust root: pass trust_roots or include the root in chain")
        self._trust_roots = [asn1_certificate(c) for c in roots]
        self._chain_asn1 = [asn1_certificate(c) for c in self.chain]
        self._crl_source = crls
        self._prepared: _Prepared | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_pki(
        cls,
        pki: Pki,
        *,
        keystore: KeyStore | None = None,
        timestamper: TimeStamper | None = None,
        level: Level = "B-LT",
        seal: SealStampStyle | None = None,
        single_pass: bool = True,
    ) -> LicenceSigner:
        """A signer for the hierarchy's current signing certificate, its CRLs (read afresh at
        each re-validation) and, unless another is given, its built-in TSA in-process."""
        if timestamper is None and level != "B-B":
            authority = TimestampAuthority(pki.tsa_certificate, pki.tsa_key(), pki.chain)
            timestamper = InProcessTimeStamper(authority)
        return cls(
            keystore or FileKeyStore(pki.signer_key()),
            pki.signer_certificate,
            pki.chain,
            timestamper,
            pki.crls_der,
            level=level,
            seal=seal,
            single_pass=single_pass,
        )

    # -- public --------------------------------------------------------------------------

    def sign(
        self,
        pdf: bytes,
        *,
        seal_box: SealPlacement | None = None,
        field_name: str = "AuthoritySeal",
        reason: str | None = None,
        location: str | None = None,
        contact_info: str | None = None,
    ) -> bytes:
        """Sign `pdf` and return the signed file (the input plus one incremental update, two
        for B-LTA). Without `seal_box` the signature is invisible; an existing empty field
        named `field_name` is used as is. Not for use inside a running event loop: use
        `async_sign` there."""
        prepared = self._prepared
        if (
            self.single_pass
            and prepared is not None
            and _now() < prepared.valid_until
            and (self.timestamper is None or isinstance(self.timestamper, InProcessTimeStamper))
        ):
            # Nothing on this path waits for I/O (key store and TSA are in-process, the
            # validation is cached): run it without starting an event loop (~0.1 ms).
            signed = _run_without_loop(
                self._sign_single_pass(
                    pdf,
                    seal_box=seal_box,
                    field_name=field_name,
                    reason=reason,
                    location=location,
                    contact_info=contact_info,
                    prepared=prepared,
                )
            )
            if signed is not None:
                return signed
        return asyncio.run(
            self.async_sign(
                pdf,
                seal_box=seal_box,
                field_name=field_name,
                reason=reason,
                location=location,
                contact_info=contact_info,
            )
        )

    async def async_sign(
        self,
        pdf: bytes,
        *,
        seal_box: SealPlacement | None = None,
        field_name: str = "AuthoritySeal",
        reason: str | None = None,
        location: str | None = None,
        contact_info: str | None = None,
    ) -> bytes:
        """`sign` for callers on an event loop. The key store and an in-process TSA run
        synchronously (microseconds for file keys, ~1 ms for a SoftHSM2 signature)."""
        return await self._sign(
            pdf,
            seal_box=seal_box,
            field_name=field_name,
            reason=reason,
            location=location,
            contact_info=contact_info,
        )

    def invalidate(self) -> None:
        """Forget the cached validation: the next signature validates the signer anew (call it
        after revoking a certificate or publishing a CRL)."""
        with self._lock:
            self._prepared = None

    # -- internals -----------------------------------------------------------------------

    def _metadata(
        self,
        field_name: str,
        *,
        reason: str | None = None,
        location: str | None = None,
        contact_info: str | None = None,
        validation_context: ValidationContext | None = None,
    ) -> PdfSignatureMetadata:
        return PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=_DIGEST,
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            contact_info=contact_info,
            embed_validation_info=self.level in ("B-LT", "B-LTA"),
            validation_context=validation_context,
            # The document timestamp of B-LTA is added by us (see `_add_document_timestamp`).
            use_pades_lta=False,
            # VRI entries are optional in EN 319 142-1 (§5.4) and ignored by current
            # validators; without them the DSS can sit in the signature's own revision.
            dss_settings=DSSContentSettings(
                include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
            ),
            # EN 319 412-2 §4.3.2: a certificate for commitment carries nonRepudiation.
            signer_key_usage={"non_repudiation"},
        )

    async def _sign(
        self,
        pdf: bytes,
        *,
        seal_box: SealPlacement | None,
        field_name: str,
        reason: str | None,
        location: str | None,
        contact_info: str | None,
    ) -> bytes:
        if self.single_pass:
            single = await self._sign_single_pass(
                pdf,
                seal_box=seal_box,
                field_name=field_name,
                reason=reason,
                location=location,
                contact_info=contact_info,
            )
            if single is not None:
                return single
        field_spec = (
            SigFieldSpec(field_name, on_page=seal_box.page, box=_pyhanko_box(seal_box))
            if seal_box is not None
            else SigFieldSpec(field_name)
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        signed_before = bool(writer.prev.embedded_signatures)
        metadata = self._metadata(
            field_name, reason=reason, location=location, contact_info=contact_info
        )
        pdf_signer = PdfSigner(
            metadata,
            self._signer,
            timestamper=self.timestamper,
            stamp_style=self.seal,
            new_field_spec=field_spec,
        )
        session = pdf_signer.init_signing_session(writer)
        if signed_before:
            # A document signed before may carry document timestamps whose validation data a
            # B-LTA signature must preserve: validate for this document specifically.
            prepared = await self._prepare(pdf)
        else:
            prepared = await self._prepared_for_now(pdf)
        text_params: dict[str, Any] = {}
        if self.seal is not None:
            text_params["seal_time"] = self.seal.format_time(session.system_time)
        tbs = session.prepare_tbs_document(
            validation_info=prepared.validation,
            bytes_reserved=prepared.bytes_reserved,
            appearance_text_params=text_params,
        )
        prepared_digest, output = tbs.digest_tbs_document()
        post_signing = await tbs.perform_signature(
            prepared_digest.document_digest,
            PdfCMSSignedAttributes(signing_time=session.system_time),
        )
        await post_signing.post_signature_processing(output)
        assert isinstance(output, io.BytesIO)  # we passed no output stream of our own
        if self.level == "B-LTA":
            await self._add_document_timestamp(output, prepared)
        signed: bytes = output.getvalue()
        return signed

    async def _sign_single_pass(
        self,
        pdf: bytes,
        *,
        seal_box: SealPlacement | None,
        field_name: str,
        reason: str | None,
        location: str | None,
        contact_info: str | None,
        prepared: _Prepared | None = None,
    ) -> bytes | None:
        """The single-pass signature, or None where only the pyHanko path applies."""
        if seal_box is not None and self.seal is None:
            return None  # pyHanko's default stamp: only its path draws it
        try:
            scanned = scan(pdf)
        except UnrecognisedPdf as exc:
            logger.info("single-pass signing does not apply (%s): signing with pyHanko", exc)
            return None
        if prepared is None:
            prepared = await self._prepared_for_now(pdf)
        seal = None
        if seal_box is not None:
            assert self.seal is not None
            page = seal_box.page if seal_box.page >= 0 else len(scanned.pages) + seal_box.page
            seal = SealAppearance(page, _pyhanko_box(seal_box), self.seal)
        request = SignatureRequest(
            field_name=field_name,
            moment=self._clock(),
            bytes_reserved=prepared.bytes_reserved,
            seal=seal,
            reason=reason,
            location=location,
            contact_info=contact_info,
            validation=prepared.validation_data,
            document_timestamp=(
                DocumentTimestamp(self.timestamp_field_name, prepared.timestamp_bytes_reserved)
                if self.level == "B-LTA" and prepared.timestamp_bytes_reserved is not None
                else None
            ),
        )
        try:
            return await sign_scanned(scanned, request, self._signer, self._token_source())
        except UnrecognisedPdf as exc:
            logger.info("single-pass signing does not apply (%s): signing with pyHanko", exc)
            return None

    def _token_source(self) -> TokenSource | None:
        timestamper = self.timestamper
        if timestamper is None:
            return None
        if isinstance(timestamper, InProcessTimeStamper):
            authority = timestamper.authority

            async def in_process(digest: bytes) -> bytes:
                return authority.token(digest)

            return in_process

        async def remote(digest: bytes) -> bytes:
            token = await timestamper.async_timestamp(digest, _DIGEST)
            encoded: bytes = token.dump()
            return encoded

        return remote

    async def _add_document_timestamp(self, output: io.BytesIO, prepared: _Prepared) -> None:
        # EN 319 142-1 §5.4: a document timestamp over the whole file, DSS included. Its TSA
        # is the signature timestamp's, whose chain and CRLs the DSS already holds, so no
        # further DSS update is needed (and none is validated again here).
        assert self.timestamper is not None
        writer = IncrementalPdfFileWriter(output)
        await PdfTimeStamper(
            self.timestamper, field_name=self.timestamp_field_name
        ).async_timestamp_pdf(
            writer,
            _DIGEST,
            bytes_reserved=prepared.timestamp_bytes_reserved,
            in_place=True,
        )

    async def _prepared_for_now(self, pdf: bytes) -> _Prepared:
        prepared = self._prepared
        if prepared is not None and _now() < prepared.valid_until:
            return prepared
        # No lock is held across the awaits: an external TSA makes them real I/O, and two
        # signatures on one event loop must not block each other. Threads that find the cache
        # stale together each validate once; the results are equivalent and the last one stays.
        prepared = await self._prepare(pdf)
        with self._lock:
            self._prepared = prepared
        return prepared

    def _current_crls(self) -> list[Any]:
        source = self._crl_source
        ders = source() if callable(source) else source
        return [asn1_crl.CertificateList.load(der) for der in ders]

    async def _prepare(self, pdf: bytes) -> _Prepared:
        """Validate signer and TSA now (hard-fail on revocation, no network) and size the
        signature; this is what pyHanko would otherwise do inside every signature."""
        now = _now()
        crls = self._current_crls()
        context = ValidationContext(
            trust_roots=self._trust_roots,
            other_certs=self._chain_asn1,
            crls=crls,
            allow_fetching=False,
            revocation_mode="hard-fail",
            moment=now,
        )
        metadata = self._metadata("ValidationProbe", validation_context=context)
        probe = PdfSigner(metadata, self._signer, timestamper=self.timestamper)
        # A throwaway writer: probing creates a signature field we do not keep.
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        session = probe.init_signing_session(writer)
        try:
            validation = await session.perform_presign_validation(writer)
        except PyHankoSigningError as exc:
            cause = exc.__cause__ or exc
            raise SignerNotUsable(f"the signer's certificate does not validate: {cause}") from exc
        bytes_reserved = await session.estimate_signature_container_size(validation)
        timestamp_reserved = None
        if self.level == "B-LTA":
            assert self.timestamper is not None
            dummy = await self.timestamper.async_dummy_response(_DIGEST)
            size = len(dummy.dump()) * 2  # hex in /Contents
            # pyHanko's own margin: a TSA's tokens vary slightly in length.
            timestamp_reserved = size + 2 * (size // 4)
        valid_until = now + self.revalidate_after
        for crl in crls:
            next_update = crl["tbs_cert_list"]["next_update"].native
            if next_update is not None:
                valid_until = min(valid_until, next_update - _CRL_HEADROOM)
        valid_until = min(valid_until, self.signer_certificate.not_valid_after_utc)
        logger.info("licence signer validated; next validation before %s", valid_until)
        embedded = validation if metadata.embed_validation_info else None
        return _Prepared(
            validation=embedded,
            validation_data=_validation_data(embedded) if embedded is not None else None,
            bytes_reserved=bytes_reserved,
            timestamp_bytes_reserved=timestamp_reserved,
            valid_until=valid_until,
        )


def _run_without_loop(coroutine: Coroutine[Any, Any, bytes | None]) -> bytes | None:
    """Run a coroutine that never suspends (no I/O awaited) to completion, without a loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: bytes | None = done.value
        return result
    coroutine.close()
    raise RuntimeError("the signature waited for I/O outside an event loop")


def _validation_data(validation: PreSignValidationStatus) -> ValidationData:
    """The DSS content pyHanko would write for `validation` (every certificate of the signer's
    and the TSA's paths, the CRLs and OCSP responses used), as DER, each once."""
    certificates: dict[bytes, None] = {}
    for path in validation.validation_paths:
        for cert in path:
            certificates[cert.dump()] = None
    return ValidationData(
        certificates=tuple(certificates),
        crls=tuple(dict.fromkeys(crl.dump() for crl in validation.crls_to_embed)),
        ocsps=tuple(dict.fromkeys(ocsp.dump() for ocsp in validation.ocsps_to_embed)),
    )
