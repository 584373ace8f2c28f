"""Archive renewal of signed PDFs (PAdES B-LTA, EN 319 142-1 §5.4).

A B-LT licence verifies offline for as long as its signature timestamp's authority certificate
(and the CAs above it) is valid: after that nothing vouches for the timestamp any more. Before
then an archive adds, as one incremental update, the validation data current now (every
certificate of the hierarchy, the CRLs of the CAs involved) and a document timestamp over the
whole file, DSS included. That timestamp, from a TSA whose certificate is fresh, is the new
evidence: it proves the earlier timestamps and their validation data existed while they were
still valid, and is renewed the same way before it expires in turn.

`archive_state` says when a file's newest timestamp stops being evidence; `renew` adds the
next one. Neither validates anything: the verifier (and pyHanko's LTA validation) does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from signing.cms_signer import asn1_certificate

__all__ = ["ArchiveState", "archive_state", "renew"]

_DIGEST = "sha256"
FIELD_PREFIX = "ArchiveRenewal"


class NotRenewable(ValueError):
    """The file has no timestamp to renew (unsigned, or PAdES B-B)."""


@dataclass(frozen=True)
class ArchiveState:
    """When a signed file's newest timestamp was made and until when it is evidence.

    `expires_at`: the earliest end of validity on the newest timestamp's chain (its TSA
    certificate and the CAs above it that the file carries) and, before the first document
    timestamp, on the signer's chain; `document_timestamps`: how many
    document timestamps (B-LTA) the file has."""

    last_timestamp_at: dt.datetime
    expires_at: dt.datetime
    document_timestamps: int
    authority_serial: int


def archive_state(pdf: bytes) -> ArchiveState:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    timestamps = reader.embedded_timestamp_signatures
    if timestamps:
        newest = max(timestamps, key=lambda ts: ts.signed_revision)
        token: cms.SignedData = newest.signed_data
        signer_chain: list[x509.Certificate] = []
    else:
        signatures = reader.embedded_regular_signatures
        if not signatures:
            raise NotRenewable("the file carries no signature")
        found = _signature_timestamp_token(signatures[0].signer_info)
        if found is None:
            raise NotRenewable("the signature has no timestamp (PAdES B-B)")
        token = found
        # Until a first document timestamp proves they existed, the signer's certificate and
        # chain must be valid too when the archive renews (EN 319 102-1 §5.6.2: a past
        # validation needs proof of existence of the certificate before it expired).
        signed = signatures[0].signed_data
        signer_pool = [*_token_certificates(signed), *_dss_certificates(reader)]
        signer = x509.load_der_x509_certificate(signatures[0].signer_cert.dump())
        signer_chain = _chain(signer, signer_pool)
    tst_info = token["encap_content_info"]["content"].parsed
    made_at: dt.datetime = tst_info["gen_time"].native
    pool = [*_token_certificates(token), *_dss_certificates(reader)]
    authority = _token_signer(token, pool)
    expires = min(c.not_valid_after_utc for c in [*_chain(authority, pool), *signer_chain])
    return ArchiveState(made_at, expires, len(timestamps), authority.serial_number)


def renew(
    pdf: bytes,
    timestamper: TimeStamper,
    *,
    certificates: Sequence[x509.Certificate],
    crls: Sequence[bytes],
) -> bytes:
    """`pdf` plus one incremental update: `certificates` and `crls` added to the DSS, and a
    document timestamp from `timestamper` over the result. The earlier bytes are unchanged
    (a prefix of the result), so every earlier signature and timestamp still verifies."""
    return asyncio.run(async_renew(pdf, timestamper, certificates=certificates, crls=crls))


async def async_renew(
    pdf: bytes,
    timestamper: TimeStamper,
    *,
    certificates: Sequence[x509.Certificate],
    crls: Sequence[bytes],
) -> bytes:
    state = archive_state(pdf)  # refuses what has nothing to renew
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    # The validation data goes into the revision the new timestamp covers: it is then proven
    # to have existed at the timestamp's time (which is what makes it usable after the CRLs
    # lapse and the certificates expire).
    DocumentSecurityStore.supply_dss_in_writer(
        writer,
        None,
        certs=[asn1_certificate(c) for c in certificates],
        crls=[asn1_crl.CertificateList.load(der) for der in crls],
    )
    output = io.BytesIO()
    await PdfTimeStamper(
        timestamper, field_name=f"{FIELD_PREFIX}{state.document_timestamps + 1}"
    ).async_timestamp_pdf(writer, _DIGEST, output=output)
    return output.getvalue()


def _signature_timestamp_token(signer_info: cms.SignerInfo) -> cms.SignedData | None:
    for attribute in signer_info["unsigned_attrs"] or ():
        if attribute["type"].native == "signature_time_stamp_token":
            token: cms.SignedData = attribute["values"][0]["content"]
            return token
    return None


def _token_certificates(token: cms.SignedData) -> list[x509.Certificate]:
    return [
        x509.load_der_x509_certificate(choice.chosen.dump())
        for choice in token["certificates"] or ()
        if choice.name == "certificate"
    ]


def _dss_certificates(reader: PdfFileReader) -> list[x509.Certificate]:
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return []
    return [x509.load_der_x509_certificate(ref.get_object().data) for ref in dss.get("/Certs", ())]


def _token_signer(token: cms.SignedData, pool: Sequence[x509.Certificate]) -> x509.Certificate:
    sid = token["signer_infos"][0]["sid"]
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        for cert in pool:
            if cert.serial_number == serial:
                return cert
    raise NotRenewable("the timestamp does not carry its authority's certificate")


def _chain(cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """`cert` and the issuers above it found in `pool` (by signature), leaf first. Where a CA
    is certified twice (after a root rollover: by the new root and, as a bridge, by the old),
    the certificate that lasts longer: the evidence lasts as long as the best path does."""
    chain = [cert]
    while chain[-1].issuer != chain[-1].subject and len(chain) < 8:
        issuers = [c for c in pool if _issued(chain[-1], c)]
        if not issuers:
            break
        chain.append(max(issuers, key=lambda c: c.not_valid_after_utc))
    return chain


def _issued(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
