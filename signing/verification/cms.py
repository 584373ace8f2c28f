"""The CMS container (RFC 5652) around the signature: its unsigned parts, and what it says.

The signature covers the signed attributes only. The digest algorithm set, the signer
identifier, the certificates and CRLs carried and the unsigned attributes (where the signature
timestamp lives, EN 319 142-1 §5.3) could change without the signature noticing, so each must
be exactly as the signer wrote it. Also reads the signature timestamp token and the claimed
signing time from the container."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from asn1crypto import cms, core
from cryptography import x509
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signing.verification.cache import _ParseCache
from signing.verification.report import Finding, _format_failure

__all__ = []

# RFC 5652 §11.4 / RFC 3161 §2.4.2 (via RFC 5126 §5.11.4): id-aa-signatureTimeStampToken, the
# one unsigned attribute a PAdES B-T signature carries (EN 319 142-1 §5.3).
_SIGNATURE_TIMESTAMP_OID: Final = "1.2.840.113549.1.9.16.2.14"


def _container_findings(
    signed_data: cms.SignedData,
    pool: Sequence[x509.Certificate],
    subject: str,
    parsed: _ParseCache,
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
        if not _signer_info_as_written(signed_data, subject) or not _certificates_as_written(
            signed_data, pool, parsed
        ):
            return [problem]
    except Exception:  # unparseable: the validation above has reported it already
        return [problem]
    return []


def _signer_info_as_written(signed_data: cms.SignedData, subject: str) -> bool:
    """The algorithm set, the versions and the unsigned attributes: what the one SignerInfo
    determines."""
    signer_info = signed_data["signer_infos"][0]
    algorithms = {a.dump() for a in signed_data["digest_algorithms"]}
    if algorithms != {signer_info["digest_algorithm"].dump()}:
        return False
    # §5.1/§5.3: the versions follow from the structure (v1 SignerInfo for an
    # issuerAndSerialNumber; SignedData v3 when the content is not id-data).
    content_type = signed_data["encap_content_info"]["content_type"].native
    expected = 1 if content_type == "data" else 3
    return not (
        len(signed_data["signer_infos"]) != 1
        or signed_data["version"].native != f"v{expected}"
        or signer_info["version"].native != "v1"
        or not _expected_unsigned_attributes(signer_info, subject == "signature")
    )


def _certificates_as_written(
    signed_data: cms.SignedData, pool: Sequence[x509.Certificate], parsed: _ParseCache
) -> bool:
    """The signer identifier names a certificate carried, and every certificate and CRL
    carried verifies under a certificate carried or trusted (a damaged copy that the chain
    does not need would otherwise change the file without changing any verdict)."""
    signer_info = signed_data["signer_infos"][0]
    choices = list(signed_data["certificates"] or ())
    if any(choice.name != "certificate" for choice in choices):
        return False
    certs = [parsed.crypto(choice.chosen) for choice in choices]
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        return False
    issuer_der = sid.chosen["issuer"].dump()
    serial = sid.chosen["serial_number"].native
    named = [
        c
        for choice, c in zip(choices, certs, strict=True)
        if c.serial_number == serial
        and choice.chosen["tbs_certificate"]["issuer"].dump() == issuer_der
    ]
    everything = [*certs, *pool]
    if not named or not all(parsed.certified(c, everything) for c in certs):
        return False
    for choice in signed_data["crls"] or ():
        crl = x509.load_der_x509_crl(choice.chosen.dump())
        if not any(
            issuer.subject == crl.issuer and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
            for issuer in everything
        ):
            return False
    return True


def _expected_unsigned_attributes(signer_info: cms.SignerInfo, timestamped: bool) -> bool:
    """RFC 5652 §5.3: unsigned attributes are outside the signature, so anything could be added
    there. A PAdES signature (EN 319 142-1 §5.3, B-T and up; the DSS holds the validation data)
    carries exactly one: one signature timestamp token. A timestamp token's own SignerInfo
    (RFC 3161), and a document timestamp's, carry none."""
    attributes = signer_info["unsigned_attrs"]
    if not timestamped:
        return isinstance(attributes, core.Void)
    if isinstance(attributes, core.Void):
        return True  # B-B: no timestamp, a policy finding of its own
    return (
        len(attributes) == 1
        and attributes[0]["type"].dotted == _SIGNATURE_TIMESTAMP_OID
        and len(attributes[0]["values"]) == 1
    )


def _signature_timestamp_token(signer_info: cms.SignerInfo) -> cms.SignedData | None:
    try:
        for attribute in signer_info["unsigned_attrs"] or ():
            if attribute["type"].native == "signature_time_stamp_token":
                signed_data: cms.SignedData = attribute["values"][0]["content"]
                return signed_data
    except Exception:  # a malformed token: pyHanko's validation reports it
        return None
    return None


def _claimed_signing_time(embedded: EmbeddedPdfSignature) -> dt.datetime | None:
    try:
        claimed: dt.datetime | None = embedded.self_reported_timestamp
    except Exception:
        return None
    return claimed
