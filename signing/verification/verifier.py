"""PdfSignatureVerifier."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext

from signing import _speedups
from signing.certificate_profiles import DOCUMENT_SIGNING_EKU
from signing.verification.attachments import _signed_attachments
from signing.verification.cache import _BoundedCache, _Crl
from signing.verification.chain import (
    _asn1,
    _crypto_cert,
    _path_certificates,
    _trust_findings,
    _validation_error_finding,
)
from signing.verification.cms import (
    _claimed_signing_time,
    _expected_unsigned_attributes,
    _signature_timestamp_token,
)
from signing.verification.dss import _Data, _Dss, _read_dss
from signing.verification.limits import (
    _CERTIFICATE_CACHE_BYTES,
    _CRL_CACHE_BYTES,
    _DECODE_LIMITS,
    _MAX_CERTIFICATE_BYTES,
    _MAX_CRL_BYTES,
    _MAX_CRLS,
    _MAX_REVISIONS,
    _MAX_SIGNATURE_FIELDS,
    MAX_DOCUMENT_BYTES,
)
from signing.verification.report import (
    _SHA256,
    _UNSURE,
    CertificateSummary,
    Finding,
    RevocationStatus,
    SignatureVerification,
    SubIndication,
    TimestampSummary,
    _finding,
    _format_failure,
    _Refused,
    _verdict,
)
from signing.verification.revisions import (
    STRICT_DIFF_POLICY,
    _coverage,
    _data_after_last_revision,
    _integrity_findings,
    _updates_without_validation_data,
)
from signing.verification.revocation import _reason, _revocation_finding
from signing.verification.structure import _byte_range_findings, _signature_dictionary_findings
from signing.verification.timestamps import (
    _document_timestamp_time,
    _expired_timestamp_findings,
    _signature_timestamp_time,
    _timestamp_findings,
    _timestamp_summary,
)

__all__ = ["CrlSource", "PdfSignatureVerifier"]

logger = logging.getLogger("signing.verification")


CrlSource: TypeAlias = Sequence[bytes] | Callable[[], Sequence[bytes]]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PdfSignatureVerifier:
    """Verifies the approval signature of PDFs against fixed trust anchors. Build one and reuse
    it: trust anchors are parsed once, and parsed certificates and CRLs are shared between
    documents. Thread-safe.

    `trust_roots`: the certificates trusted (for licences: the authority's published root).
    `crls`: current CRLs (DER) consulted for every document in addition to what the document
    embeds, or a callable returning them (e.g. `Pki.crls_der` for an online verifier). Nothing
    is ever fetched from the network.
    `signer_eku`: the extended key usage the signing certificate must carry (None: any).
    `require_timestamp`: refuse signatures without a signature timestamp (PAdES B-B); without
    one nothing proves when the signature was made, so revocation cannot be judged.
    """

    def __init__(
        self,
        trust_roots: Sequence[x509.Certificate],
        *,
        crls: CrlSource = (),
        max_bytes: int = MAX_DOCUMENT_BYTES,
        signer_eku: x509.ObjectIdentifier | None = DOCUMENT_SIGNING_EKU,
        require_timestamp: bool = True,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if not trust_roots:
            raise ValueError("a verifier needs at least one trust root")
        _speedups.install()
        self.trust_roots = tuple(trust_roots)
        self.max_bytes = max_bytes
        self.require_timestamp = require_timestamp
        self._clock = clock or _now
        self._crl_source = crls
        self._roots_asn1 = [_asn1(cert) for cert in self.trust_roots]
        self._key_usage = KeyUsageConstraints(
            key_usage={"non_repudiation"},
            extd_key_usage={signer_eku.dotted_string} if signer_eku is not None else None,
            explicit_extd_key_usage_required=signer_eku is not None,
        )
        # Weightless entries are booleans keyed by two SHA-256 digests: bounded by their count.
        self._crls = _BoundedCache(64, _CRL_CACHE_BYTES, _MAX_CRL_BYTES)
        self._certs = _BoundedCache(256, _CERTIFICATE_CACHE_BYTES, _MAX_CERTIFICATE_BYTES)
        self._crl_checks = _BoundedCache(256)
        self._crypto_certs = _BoundedCache(256, _CERTIFICATE_CACHE_BYTES, _MAX_CERTIFICATE_BYTES)
        self._issued = _BoundedCache(1024)

    def cache_usage(self) -> dict[str, tuple[int, int]]:
        """What the process-wide caches hold: name → (entries, DER bytes)."""
        caches = {
            "crls": self._crls,
            "certificates": self._certs,
            "crypto_certificates": self._crypto_certs,
            "crl_checks": self._crl_checks,
            "issued": self._issued,
        }
        return {name: (len(cache), cache.bytes) for name, cache in caches.items()}

    # -- public ------------------------------------------------------------------------------

    def verify(self, pdf: bytes, *, crls: Sequence[bytes] = ()) -> SignatureVerification:
        """Verify `pdf`'s first approval signature. Never raises for bad input: every problem
        is a finding in the result. `crls`: further current CRLs for this document only."""
        checked_at = self._clock()
        digest = hashlib.sha256(pdf).hexdigest()
        base = {"document_sha256": digest, "document_bytes": len(pdf), "checked_at": checked_at}
        try:
            return self._verify(pdf, crls, checked_at, base)
        except _Refused as refused:
            return _verdict([refused.finding], **base)
        except PdfDecodeLimitError as exc:
            detail = f"a stream decodes to more data than a licence can hold: {exc}"
            return _verdict([_format_failure("decompression_bomb", detail)], **base)
        except RecursionError:
            detail = "objects are nested deeper than any genuine document"
            return _verdict([_format_failure("too_deeply_nested", detail)], **base)
        except MemoryError:
            detail = "the document needs more memory than a licence can"
            return _verdict([_format_failure("too_large", detail)], **base)
        except Exception as exc:  # hostile input can break any parser in any way
            logger.info(
                "unreadable document %s: %s: %s",
                digest[:16],
                type(exc).__name__,
                exc,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            detail = f"the PDF cannot be read: {type(exc).__name__}"
            return _verdict([_format_failure("unreadable_pdf", detail)], **base)

    # -- steps -------------------------------------------------------------------------------

    def _verify(
        self, pdf: bytes, extra_crls: Sequence[bytes], checked_at: dt.datetime, base: Any
    ) -> SignatureVerification:
        reader = self._open(pdf)
        field_name, embedded = self._approval_signature(reader)
        findings = _signature_dictionary_findings(pdf, embedded)
        signature_time = _signature_timestamp_time(embedded.signer_info)
        claimed_time = _claimed_signing_time(embedded)
        data = self._validation_data(reader, extra_crls)
        context = self._context(signature_time or checked_at, data.certs, data.crls)

        status = self._validate_signature(embedded, context)
        # §5.2.7 cryptographic verification and what the signature covers
        findings += _integrity_findings(status)
        findings += self._container_findings(embedded.signed_data, data.pool, "signature")
        token = _signature_timestamp_token(embedded.signer_info)
        if token is not None:
            findings += self._container_findings(token, data.pool, "signature_timestamp")
        findings += _updates_without_validation_data(reader, embedded)
        data_after_eof = _data_after_last_revision(pdf, reader)
        if data_after_eof:
            findings.append(
                _format_failure(
                    "data_after_eof",
                    "bytes were appended after the end of the last revision (%%EOF)",
                )
            )
        timestamp_status = status.timestamp_validity
        if timestamp_status is None and self.require_timestamp:
            # Policy constraint first: without it the chain's findings would only be symptoms.
            findings.append(
                _finding(
                    "no_signature_timestamp",
                    _UNSURE,
                    SubIndication.SIG_CONSTRAINTS_FAILURE,
                    "the signature has no timestamp, so nothing proves when it was made "
                    "(PAdES B-B; licences are B-LT)",
                )
            )
        # §5.2.6 the chain, §5.6.2 revocation judged against the timestamp
        findings += _trust_findings(status, "signer")
        signer = _crypto_cert(status.signing_cert)
        chain = _path_certificates(status.validation_path)
        revocation, revocation_findings = self._revocation(
            chain or [signer], data.crls, signature_time, claimed_time, data.have_current
        )
        findings += revocation_findings
        # the timestamps
        timestamp = None
        if timestamp_status is not None:
            timestamp = _timestamp_summary(timestamp_status, signature_time)
            findings += _timestamp_findings(timestamp_status, "signature_timestamp")
            _, tsa_findings = self._revocation(
                _path_certificates(timestamp_status.validation_path),
                data.crls,
                signature_time,
                None,
                data.have_current,
                subject="timestamp",
            )
            findings += tsa_findings
        document_timestamps, document_findings = self._document_timestamps(
            pdf, reader, embedded, data
        )
        findings += document_findings
        findings += _expired_timestamp_findings(timestamp, document_timestamps, checked_at)

        return _verdict(
            findings,
            **base,
            field_name=field_name,
            level=_level(timestamp_status, data.dss, document_timestamps),
            intact=status.intact,
            signature_valid=status.valid,
            coverage=_coverage(
                pdf, reader, embedded, status, len(document_timestamps), data_after_eof
            ),
            signer=CertificateSummary.of(signer),
            chain=tuple(CertificateSummary.of(c) for c in reversed(chain)),
            trust_anchor=CertificateSummary.of(chain[0]) if chain else None,
            claimed_signing_time=claimed_time,
            timestamp=timestamp,
            document_timestamps=tuple(document_timestamps),
            revocation=revocation,
            signed_revision_bytes=embedded.byte_range[2] + embedded.byte_range[3],
            attachments=_signed_attachments(reader, embedded.signed_revision),
        )

    def _validation_data(self, reader: PdfFileReader, extra_crls: Sequence[bytes]) -> _Data:
        """The certificates and CRLs to validate with: the DSS's, and the current CRLs."""
        dss = _read_dss(reader)
        certs = [self._cert(der) for der in dss.certificates]
        # Current CRLs come from the service or the operator, not from the document: trusted.
        current = [self._crl(der, trusted=True) for der in (*self._current_crls(), *extra_crls)]
        if len(dss.crls) + len(current) > _MAX_CRLS:
            raise _Refused(
                _format_failure(
                    "too_much_validation_data", "more CRLs than a licence's chain needs"
                )
            )
        pool = [*self.trust_roots, *(self._crypto(c) for c in certs)]
        issuers: list[x509.Certificate] | None = None

        def trusted_issuers() -> list[x509.Certificate]:
            nonlocal issuers
            if issuers is None:
                issuers = self._trusted_issuers(pool)
            return issuers

        crls = [*(self._crl(der, issuers=trusted_issuers) for der in dss.crls), *current]
        return _Data(dss, certs, crls, pool, bool(current))

    def _trusted_issuers(self, pool: Sequence[x509.Certificate]) -> list[x509.Certificate]:
        """The trust roots and every certificate of `pool` that chains to one by signatures
        alone (no validity or revocation check: this decides only what may be cached)."""
        trusted = list(self.trust_roots)
        candidates = [c for c in pool if c not in trusted]
        grown = True
        while grown and candidates:
            grown = False
            for cert in list(candidates):
                if self._certified(cert, trusted):
                    trusted.append(cert)
                    candidates.remove(cert)
                    grown = True
        return trusted

    def _open(self, pdf: bytes) -> PdfFileReader:
        if len(pdf) > self.max_bytes:
            raise _Refused(
                _format_failure(
                    "too_large", f"{len(pdf)} bytes; a licence is at most {self.max_bytes}"
                )
            )
        if not pdf.startswith(b"%PDF-"):
            raise _Refused(_format_failure("not_a_pdf", "the file does not start with %PDF-"))
        if b"%%EOF" not in pdf[-4096:]:
            raise _Refused(
                _format_failure("truncated", "the file does not end with %%EOF: it is truncated")
            )
        reader = PdfFileReader(io.BytesIO(pdf), strict=True, decode_limits=_DECODE_LIMITS)
        if reader.encrypted:
            raise _Refused(_format_failure("encrypted", "the PDF is encrypted; licences never are"))
        if reader.xrefs.total_revisions > _MAX_REVISIONS:
            raise _Refused(
                _format_failure(
                    "too_many_revisions",
                    f"{reader.xrefs.total_revisions} revisions; a licence has at most "
                    f"{_MAX_REVISIONS}",
                )
            )
        return reader

    def _approval_signature(self, reader: PdfFileReader) -> tuple[str, EmbeddedPdfSignature]:
        """The earliest approval (/Sig) signature, parsed. Later ones are modifications."""
        candidates: list[tuple[int, str, EmbeddedPdfSignature]] = []
        for count, (name, value, sig_field) in enumerate(
            enumerate_sig_fields(reader, filled_status=True)
        ):
            if count >= _MAX_SIGNATURE_FIELDS:
                raise _Refused(_format_failure("too_many_signatures", "too many signature fields"))
            sig_object = value.get_object()
            if not isinstance(sig_object, generic.DictionaryObject):
                raise _Refused(
                    _format_failure("signature_unreadable", f"field {name} has no signature")
                )
            if sig_object.get("/Type", "/Sig") == "/DocTimeStamp":
                continue
            try:
                embedded = EmbeddedPdfSignature(reader, sig_field, name)
            except Exception as exc:
                raise _Refused(
                    _format_failure(
                        "signature_unreadable",
                        f"the signature value (/Contents) of {name} is not a CMS signature: "
                        f"{type(exc).__name__}",
                    )
                ) from exc
            candidates.append((embedded.signed_revision, name, embedded))
        if not candidates:
            raise _Refused(
                _format_failure("no_signature", "the document carries no approval signature")
            )
        _, name, embedded = min(candidates, key=lambda c: c[0])
        return name, embedded

    def _current_crls(self) -> Sequence[bytes]:
        source = self._crl_source
        return source() if callable(source) else source

    def _crl(
        self,
        der: bytes,
        *,
        trusted: bool = False,
        issuers: Callable[[], Sequence[x509.Certificate]] = list,
    ) -> _Crl:
        """The CRL parsed, from the cache if seen before. Only a CRL signed by a trusted CA
        (`issuers()`) is cached: anyone can put a CRL in a document, only our CAs can sign one."""
        key = hashlib.sha256(der).digest()
        cached: _Crl | None = self._crls.peek(key)
        if cached is not None:
            return cached
        crl = _Crl(key, asn1_crl.CertificateList.load(der), x509.load_der_x509_crl(der))
        if trusted or any(self._issued_by(crl, issuer) for issuer in issuers()):
            self._crls.put(key, crl, len(der))
        return crl

    def _cert(self, der: bytes) -> asn1_x509.Certificate:
        key = hashlib.sha256(der).digest()
        cert: asn1_x509.Certificate = self._certs.get(
            key, lambda: asn1_x509.Certificate.load(der), len(der)
        )
        return cert

    def _context(
        self, moment: dt.datetime, certs: list[asn1_x509.Certificate], crls: list[_Crl]
    ) -> ValidationContext:
        # Point-in-time validation at the signature timestamp's time (EN 319 102-1 §5.6.2):
        # revocation data issued after that moment also counts (retroactive), as it would for
        # any later verifier; certificate holds, the reason that option is off by default,
        # do not exist in this PKI.
        return ValidationContext(
            trust_roots=self._roots_asn1,
            other_certs=certs,
            crls=[c.asn1 for c in crls],
            moment=moment,
            allow_fetching=False,
            revocation_mode="hard-fail",
            retroactive_revinfo=True,
        )

    def _validate_signature(
        self, embedded: EmbeddedPdfSignature, context: ValidationContext
    ) -> PdfSignatureStatus:
        try:
            status: PdfSignatureStatus = asyncio.run(
                async_validate_pdf_signature(
                    embedded,
                    signer_validation_context=context,
                    ts_validation_context=context,
                    diff_policy=STRICT_DIFF_POLICY,
                    key_usage_settings=self._key_usage,
                )
            )
        except SignatureValidationError as exc:
            raise _Refused(_validation_error_finding(exc)) from exc
        except (PdfDecodeLimitError, RecursionError, MemoryError):
            raise
        except Exception as exc:  # a CMS or structure pyHanko cannot process
            raise _Refused(
                _format_failure(
                    "signature_malformed",
                    f"the signature cannot be processed: {type(exc).__name__}: {exc}"[:300],
                )
            ) from exc
        return status

    def _document_timestamps(
        self,
        pdf: bytes,
        reader: PdfFileReader,
        signature: EmbeddedPdfSignature,
        data: _Data,
    ) -> tuple[list[TimestampSummary], list[Finding]]:
        """Validate every document timestamp added after the signature (PAdES B-LTA, EN 319
        142-1 §5.4), each at its own time, oldest first."""
        summaries: list[TimestampSummary] = []
        findings: list[Finding] = []
        for embedded in reader.embedded_timestamp_signatures:
            if embedded.signed_revision <= signature.signed_revision:
                continue
            findings += _byte_range_findings(pdf, embedded, "document_timestamp")
            findings += self._container_findings(
                embedded.signed_data, data.pool, "document_timestamp"
            )
            time = _document_timestamp_time(embedded)
            if time is None:
                findings.append(
                    _format_failure(
                        "document_timestamp_unreadable", "a document timestamp cannot be read"
                    )
                )
                continue
            context = self._context(time, data.certs, data.crls)
            try:
                status: DocumentTimestampStatus = asyncio.run(
                    async_validate_pdf_timestamp(
                        embedded, validation_context=context, diff_policy=STRICT_DIFF_POLICY
                    )
                )
            except SignatureValidationError as exc:
                findings.append(_validation_error_finding(exc, "document_timestamp"))
                continue
            summaries.append(_timestamp_summary(status, time))
            findings += _timestamp_findings(status, "document_timestamp")
        return summaries, findings

    def _crypto(self, cert: asn1_x509.Certificate) -> x509.Certificate:
        der = cert.dump()
        parsed: x509.Certificate = self._crypto_certs.get(
            hashlib.sha256(der).digest(), lambda: x509.load_der_x509_certificate(der), len(der)
        )
        return parsed

    def _certified(self, cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> bool:
        """Whether `cert` carries a valid signature of a certificate in `pool` (itself included,
        for a root)."""
        for issuer in pool:
            if issuer.subject != cert.issuer:
                continue
            key = (cert.fingerprint(_SHA256), issuer.fingerprint(_SHA256))

            def check(issuer: x509.Certificate = issuer) -> bool:
                try:
                    cert.verify_directly_issued_by(issuer)
                except Exception:  # wrong key, bad signature, unsupported algorithm
                    return False
                return True

            if self._issued.get(key, check):
                return True
        return False

    def _container_findings(
        self, signed_data: cms.SignedData, pool: Sequence[x509.Certificate], subject: str
    ) -> list[Finding]:
        """The parts of a CMS SignedData that its signature does not cover must still be as the
        signer wrote them (RFC 5652 §5.1, §5.3): the digest algorithm set names the signer's
        algorithm, the signer identifier names the signing certificate byte for byte, and every
        certificate carried is intact (its issuer's signature verifies). Otherwise bytes of the
        file could change without any verdict changing."""
        problem = _format_failure(
            "signature_container_altered" if subject == "signature" else f"{subject}_altered",
            f"the {subject.replace('_', ' ')} container holds data its signer did not write "
            "(a damaged certificate copy, an altered algorithm list or signer identifier, an "
            "unexpected unsigned attribute)",
        )
        try:
            signer_info = signed_data["signer_infos"][0]
            algorithms = {a.dump() for a in signed_data["digest_algorithms"]}
            if algorithms != {signer_info["digest_algorithm"].dump()}:
                return [problem]
            # §5.1/§5.3: the versions follow from the structure (v1 SignerInfo for an
            # issuerAndSerialNumber; SignedData v3 when the content is not id-data).
            content_type = signed_data["encap_content_info"]["content_type"].native
            expected = 1 if content_type == "data" else 3
            if (
                len(signed_data["signer_infos"]) != 1
                or signed_data["version"].native != f"v{expected}"
                or signer_info["version"].native != "v1"
                or not _expected_unsigned_attributes(signer_info, subject == "signature")
            ):
                return [problem]
            choices = list(signed_data["certificates"] or ())
            if any(choice.name != "certificate" for choice in choices):
                return [problem]
            certs = [self._crypto(choice.chosen) for choice in choices]
            sid = signer_info["sid"]
            if sid.name != "issuer_and_serial_number":
                return [problem]
            issuer_der = sid.chosen["issuer"].dump()
            serial = sid.chosen["serial_number"].native
            named = [
                c
                for choice, c in zip(choices, certs, strict=True)
                if c.serial_number == serial
                and choice.chosen["tbs_certificate"]["issuer"].dump() == issuer_der
            ]
            everything = [*certs, *pool]
            if not named or not all(self._certified(c, everything) for c in certs):
                return [problem]
            for choice in signed_data["crls"] or ():
                crl = x509.load_der_x509_crl(choice.chosen.dump())
                if not any(
                    issuer.subject == crl.issuer and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
                    for issuer in everything
                ):
                    return [problem]
        except Exception:  # unparseable: the validation above has reported it already
            return [problem]
        return []

    def _revocation(
        self,
        chain: Sequence[x509.Certificate],
        crls: Sequence[_Crl],
        poe: dt.datetime | None,
        claimed: dt.datetime | None,
        have_current: bool,
        *,
        subject: str = "signer",
    ) -> tuple[RevocationStatus | None, list[Finding]]:
        """Look up every certificate of `chain` (leaf last) on every CRL its issuer signed.

        pyHanko validates the chain at the timestamp time, where a later revocation does not
        show; here every revocation counts, and is judged against the timestamp (POE).
        """
        findings: list[Finding] = []
        if len(chain) < 2:
            return None, findings
        leaf_status: RevocationStatus | None = None
        for index in range(1, len(chain)):
            issuer, cert = chain[index - 1], chain[index]
            is_leaf = index == len(chain) - 1
            newest: dt.datetime | None = None
            entry: x509.RevokedCertificate | None = None
            for crl in crls:
                if not self._issued_by(crl, issuer):
                    continue
                this_update = crl.crl.last_update_utc
                newest = this_update if newest is None else max(newest, this_update)
                revoked = crl.crl.get_revoked_certificate_by_serial_number(cert.serial_number)
                if revoked is not None and (
                    entry is None or revoked.revocation_date_utc < entry.revocation_date_utc
                ):
                    entry = revoked
            source = "current" if have_current else "embedded"
            if entry is None:
                if is_leaf:
                    leaf_status = RevocationStatus(
                        "good" if newest is not None else "unknown", source, newest
                    )
                continue
            revoked_at = entry.revocation_date_utc
            reason = _reason(entry)
            after = poe is not None and poe < revoked_at
            if is_leaf:
                leaf_status = RevocationStatus(
                    "revoked",
                    source,
                    newest,
                    revoked_at,
                    reason.name if reason is not None else "unspecified",
                    after,
                )
            finding = _revocation_finding(subject, is_leaf, revoked_at, reason, after, claimed)
            if finding is not None:
                findings.append(finding)
        return leaf_status, findings

    def _issued_by(self, crl: _Crl, issuer: x509.Certificate) -> bool:
        key = (crl.der_sha256, issuer.fingerprint(_SHA256))

        def check() -> bool:
            if crl.crl.issuer != issuer.subject:
                return False
            try:
                return crl.crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
            except Exception:  # an unsupported key type cannot have signed it
                return False

        result: bool = self._crl_checks.get(key, check)
        return result


def _level(timestamp: Any, dss: _Dss, document_timestamps: Sequence[TimestampSummary]) -> str:
    if timestamp is None:
        return "B-B"
    if not dss.present:
        return "B-T"
    return "B-LTA" if document_timestamps else "B-LT"
