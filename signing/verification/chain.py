"""The chain to a trust anchor (EN 319 102-1 §5.2.6): the validation context and the findings.

pyHanko's certvalidator builds and validates the path; this module sets it up for
past-signature validation at the time the timestamp proves (§5.6.2) with nothing fetched, and
turns its AdES sub-indications into findings. Also the conversions between asn1crypto
certificates (what pyHanko uses) and `cryptography` ones (what the rest of the package uses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

from signing.verification.cache import _Crl
from signing.verification.report import _FAILED, _UNSURE, Finding, SubIndication, _format_failure

__all__ = []


def _validation_context(
    trust_roots: Sequence[asn1_x509.Certificate],
    moment: dt.datetime,
    certs: Sequence[asn1_x509.Certificate],
    crls: Sequence[_Crl],
) -> ValidationContext:
    # Point-in-time validation at the signature timestamp's time (EN 319 102-1 §5.6.2):
    # revocation data issued after that moment also counts (retroactive), as it would for
    # any later verifier; certificate holds, the reason that option is off by default,
    # do not exist in this PKI.
    return ValidationContext(
        trust_roots=trust_roots,
        other_certs=certs,
        crls=[c.asn1 for c in crls],
        moment=moment,
        allow_fetching=False,
        revocation_mode="hard-fail",
        retroactive_revinfo=True,
    )


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _crypto_cert(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _path_certificates(path: Any) -> list[x509.Certificate]:
    """Root first, leaf last; empty when no path was built."""
    if path is None:
        return []
    return [_crypto_cert(c) for c in path.iter_certs(include_root=True)]


def _validation_error_finding(exc: SignatureValidationError, subject: str = "signature") -> Finding:
    indic = exc.ades_subindication
    name = getattr(indic, "name", "GENERIC")
    if name in SubIndication.__members__:
        sub = SubIndication[name]
        failed = type(indic).__name__ == "AdESFailure"
        return Finding(f"{subject}_invalid", _FAILED if failed else _UNSURE, sub, str(exc))
    return _format_failure(f"{subject}_malformed", f"the signature cannot be validated: {exc}")


def _trust_findings(status: Any, subject: str) -> list[Finding]:
    indic = status.trust_problem_indic
    if indic is None and status.validation_path is not None:
        return []
    name = getattr(indic, "name", "NO_CERTIFICATE_CHAIN_FOUND")
    sub = SubIndication.__members__.get(name, SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE)
    failed = type(indic).__name__ == "AdESFailure"
    details = {
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND: "no chain leads to a trusted root",
        SubIndication.CHAIN_CONSTRAINTS_FAILURE: (
            "the certificate may not be used for this (key usage or extended key usage)"
        ),
        SubIndication.TRY_LATER: "no revocation data valid at the signing time is available",
        SubIndication.OUT_OF_BOUNDS_NO_POE: "the certificate was not valid at the signing time",
        SubIndication.REVOKED_NO_POE: "the certificate was revoked at the signing time",
    }
    detail = details.get(sub, f"the certificate chain does not validate ({name})")
    return [Finding(f"{subject}_{sub.value.lower()}", _FAILED if failed else _UNSURE, sub, detail)]
