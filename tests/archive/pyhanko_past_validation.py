"""pyHanko's AdES LTA validation with its three departures from EN 319 102-1 past validation
corrected, for the twenty-year archive test (and nothing else).

Stock pyHanko 0.38 / pyhanko-certvalidator 0.33 cannot pass a B-LTA file once a certificate of
the signature's chain has expired while a fresh CRL still covers it, which is what every archive
looks like after a CA rollover (`tests/archive/test_pyhanko_limits.py` reproduces each departure
on a three-certificate PKI; `docs/verification.md` explains them):

1. `pyhanko_certvalidator/ltv/ades_past.py:163` (`past_validate`) re-validates the whole path at
   the control-time the time slide returned, validity periods included. EN 319 102-1 §5.6.2.1
   checks validity periods once, at a date in their intersection (step 2, pyHanko's
   `_past_validate_precheck`), then slides the time (§5.6.2.2) and applies the chain
   constraints: the expiry is judged later against the proof of existence (§5.6.2.4). A fresh
   CRL (the root's, the signer's CA's) leaves control-time at "now", when the certificate has
   expired, so the re-validation raises `ExpiredError`.
2. `pyhanko/sign/validation/generic_cms.py:1286-1297` maps an `ExpiredError` on a CA certificate
   to CERTIFICATE_CHAIN_GENERAL_FAILURE (only the end entity's expiry gives
   OUT_OF_BOUNDS_NO_POE), and `pyhanko/sign/validation/ades.py:2298` (`_LTA_FURTHER_PROC`,
   line 1977) then ends the LTA validation with "Past validation not applicable". An expired
   certificate anywhere in the chain is INDETERMINATE/OUT_OF_BOUNDS_NO_POE, the sub-indication
   from which §5.6.3 goes on to past validation (EU DSS checks each chain certificate's validity
   range the same way).
3. `pyhanko/sign/validation/ades.py:1322` (`_find_revinfo_data_for_leaf_in_past`) looks for the
   signer's revocation data on a path whose trust anchor is the issuer itself;
   `pyhanko_certvalidator/path.py:246` (`truncate_to_issuer_and_append`) cannot put the CRL's
   issuer on that path when it is that anchor (it raises LookupError, swallowed at
   `revinfo/validate_crl.py:223`), so a CRL signed by the certificate's own CA is never found and
   past validation ends with REVOCATION_OUT_OF_BOUNDS_NO_POE (`ades.py:1472`). Only a delegated
   OCSP responder's response would be found.

`corrected_past_validation(monkeypatch)` changes exactly those three points for the duration of a
test; everything else (the evidence record of document timestamps, the POE bookkeeping, the time
slide, revocation, signatures) is pyHanko's own code.
"""

from __future__ import annotations

import contextvars
import dataclasses
import importlib.metadata
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pyhanko_certvalidator.ltv.ades_past as ades_past
import pyhanko_certvalidator.path as cv_path
import pyhanko_certvalidator.validate as cv_validate
import pytest
from asn1crypto import x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation import ades, generic_cms
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.context import CertValidationPolicySpec, ValidationDataHandlers
from pyhanko_certvalidator.errors import ExpiredError, ValidationError
from pyhanko_certvalidator.ltv.errors import TimeSlideFailure
from pyhanko_certvalidator.ltv.time_slide import time_slide
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.path import ValidationPath

__all__ = ["CERTVALIDATOR_VERSION", "PYHANKO_VERSION", "corrected_past_validation"]

PYHANKO_VERSION = importlib.metadata.version("pyHanko")
CERTVALIDATOR_VERSION = importlib.metadata.version("pyhanko-certvalidator")

T = TypeVar("T")

_validity_judged_by_poe: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "validity_judged_by_poe", default=False
)
_issuer_is_anchor: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "issuer_is_anchor", default=False
)


async def _past_validate(
    path: ValidationPath,
    validation_policy_spec: CertValidationPolicySpec,
    validation_data_handlers: ValidationDataHandlers,
    init_control_time: datetime | None = None,
    best_signature_time: datetime | None = None,
) -> datetime:
    """`ades_past.past_validate`, but for the validity periods at control-time (1.)."""
    if path.pkix_len > 0:
        await ades_past._past_validate_precheck(path, validation_policy_spec)
    # pyHanko's clock (the test moves it with `ades_past.datetime`)
    init_control_time = init_control_time or ades_past.datetime.now(tz=UTC)
    try:
        control_time = await time_slide(
            path,
            init_control_time=init_control_time,
            rev_trust_policy=validation_policy_spec.revinfo_policy,
            algo_usage_policy=validation_policy_spec.algorithm_usage_policy,
            time_tolerance=validation_policy_spec.time_tolerance,
            revinfo_manager=validation_data_handlers.revinfo_manager,
        )
    except ValidationError as e:
        raise TimeSlideFailure(
            f"Failed to get control time for path with leaf {path.describe_leaf()}"
        ) from e
    timing = ValidationTimingInfo(
        validation_time=control_time,
        best_signature_time=best_signature_time or control_time,
        point_in_time_validation=True,
    )
    context = validation_policy_spec.build_validation_context(
        timing_info=timing, handlers=validation_data_handlers
    )
    token = _validity_judged_by_poe.set(True)
    try:
        await cv_validate.async_validate_path(
            context, path, parameters=validation_policy_spec.pkix_validation_params
        )
    finally:
        _validity_judged_by_poe.reset(token)
    return control_time


def corrected_past_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Correct departures 1-3 (module docstring) until the test ends."""
    if (PYHANKO_VERSION, CERTVALIDATOR_VERSION) != ("0.38.0", "0.33.0"):
        pytest.fail(
            f"pyHanko {PYHANKO_VERSION} / certvalidator {CERTVALIDATOR_VERSION}: check whether "
            "the three departures from EN 319 102-1 are still there "
            "(tests/archive/test_pyhanko_limits.py) before patching them"
        )

    check_validity = cv_validate._check_validity

    def _check_validity(validity: Any, moment: Any, tolerance: Any, proc_state: Any) -> None:
        if not _validity_judged_by_poe.get():
            check_validity(validity, moment, tolerance, proc_state)

    monkeypatch.setattr(cv_validate, "_check_validity", _check_validity)
    monkeypatch.setattr(ades, "past_validate", _past_validate)

    handle = generic_cms.handle_certvalidator_errors

    async def _handle(cert: x509.Certificate, coro: Awaitable[T]) -> Any:
        expired_ca: list[bool] = []

        async def _watched() -> T:
            try:
                return await coro
            except ExpiredError as e:
                expired_ca.append(not e.is_ee_cert and not e.is_side_validation)
                raise

        result = await handle(cert, _watched())
        if expired_ca == [True]:
            result = dataclasses.replace(
                result, error_subindic=AdESIndeterminate.OUT_OF_BOUNDS_NO_POE
            )
        return result

    monkeypatch.setattr(generic_cms, "handle_certvalidator_errors", _handle)

    truncate = ValidationPath.truncate_to_issuer_and_append

    def _truncate(self: ValidationPath, cert: x509.Certificate) -> ValidationPath:
        authority = self.trust_anchor.authority
        if (
            _issuer_is_anchor.get()
            and isinstance(authority, AuthorityWithCert)
            and authority.certificate.dump() == cert.dump()
        ):
            return ValidationPath(self.trust_anchor, interm=[], leaf=None)
        return truncate(self, cert)

    monkeypatch.setattr(cv_path.ValidationPath, "truncate_to_issuer_and_append", _truncate)

    find = ades._find_revinfo_data_for_leaf_in_past

    async def _find(*args: Any, **kwargs: Any) -> Any:
        token = _issuer_is_anchor.set(True)
        try:
            return await find(*args, **kwargs)
        finally:
            _issuer_is_anchor.reset(token)

    monkeypatch.setattr(ades, "_find_revinfo_data_for_leaf_in_past", _find)
