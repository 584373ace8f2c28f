"""Minimal reproductions of the three places where pyHanko 0.38 / pyhanko-certvalidator 0.33
depart from EN 319 102-1 past validation, each on a root, a CA, a certificate and one CRL of
the CA's (no PDF, no archive). Together they are why stock pyHanko's LTA validation of a
renewed licence fails once a certificate of its chains has expired
(`tests/archive/pyhanko_past_validation.py` explains them and corrects them for the
twenty-year test).

Each asserts what the standard requires and is a strict expected failure: when a pyHanko
release fixes one, its test passes, pytest reports that as a failure, and the correction can go.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation import ades, generic_cms
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    SignatureValidationSpec,
    bootstrap_validation_data_handlers,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec, ValidationDataHandlers
from pyhanko_certvalidator.errors import ExpiredError
from pyhanko_certvalidator.ltv.poe import POEManager, POEType
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    NO_REVOCATION,
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer
from pyhanko_certvalidator.validate import async_validate_path

from tests.archive.pyhanko_past_validation import CERTVALIDATOR_VERSION, PYHANKO_VERSION

UTC = dt.UTC
ISSUED = dt.datetime(2020, 1, 1, tzinfo=UTC)
LEAF_EXPIRES = dt.datetime(2022, 1, 1, tzinfo=UTC)
CA_EXPIRES = dt.datetime(2030, 1, 1, tzinfo=UTC)
ROOT_EXPIRES = dt.datetime(2045, 1, 1, tzinfo=UTC)
SIGNED = dt.datetime(2021, 1, 1, tzinfo=UTC)  # proof of existence of the signature, say
NOW = dt.datetime(2028, 1, 1, tzinfo=UTC)  # the leaf expired, the CA is still valid

VERSIONS = f"pyHanko {PYHANKO_VERSION}, pyhanko-certvalidator {CERTVALIDATOR_VERSION}"


class Pki:
    """root -> CA -> leaf, with CRLs by the CA."""

    def __init__(self, *, ca_expires: dt.datetime = CA_EXPIRES) -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name("Root")
        self.root = _certificate(root_name, self.root_key, root_name, self.root_key, ROOT_EXPIRES)
        self.ca = _certificate(_name("CA"), self.ca_key, root_name, self.root_key, ca_expires)
        self.leaf = _certificate(
            _name("Leaf"), leaf_key, self.ca.subject, self.ca_key, LEAF_EXPIRES, ca=False
        )

    def crl(self, this_update: dt.datetime, *, by_root: bool = False) -> asn1_crl.CertificateList:
        """A CRL of the CA's (or the root's), current for a week, revoking nothing."""
        issuer, key = (self.root, self.root_key) if by_root else (self.ca, self.ca_key)
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(this_update)
            .next_update(this_update + dt.timedelta(days=7))
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        return asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))

    @staticmethod
    def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    def path(self) -> ValidationPath:
        from pyhanko_certvalidator.authority import CertTrustAnchor

        return ValidationPath(
            CertTrustAnchor(self.asn1(self.root)),
            interm=[self.asn1(self.ca)],
            leaf=self.asn1(self.leaf),
        )

    def policy(self, revocation: CertRevTrustPolicy) -> CertValidationPolicySpec:
        return CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[self.asn1(self.root)]),
            revinfo_policy=revocation,
        )

    def handlers(
        self, crls: list[asn1_crl.CertificateList], poe: POEManager
    ) -> ValidationDataHandlers:
        spec = SignatureValidationSpec(
            cert_validation_policy=self.policy(CertRevTrustPolicy(REQUIRE_REVINFO)),
            local_knowledge=LocalKnowledge(
                known_crls=[CRLContainer(c) for c in crls],
                known_certs=[self.asn1(self.root), self.asn1(self.ca)],
            ),
        )
        return bootstrap_validation_data_handlers(
            spec, is_historical=True, poe_manager_override=poe
        )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_after: dt.datetime,
    *,
    ca: bool = True,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ISSUED)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _poe(*items: tuple[object, dt.datetime]) -> POEManager:
    manager = POEManager(current_dt_override=NOW)
    for item, moment in items:
        manager.register(item, POEType.VALIDATION, moment)
    return manager


@pytest.mark.xfail(
    strict=True,
    raises=ExpiredError,
    reason=f"{VERSIONS}: pyhanko_certvalidator/ltv/ades_past.py:163 (past_validate) re-validates "
    "the path at control-time, validity periods included; EN 319 102-1 §5.6.2.1 checks them at "
    "a date in their intersection (step 2) and leaves expiry to §5.6.2.4",
)
def test_past_certificate_validation_of_an_expired_certificate_returns_control_time() -> None:
    """The leaf expired (2022); a CRL of its CA from now (2028) says it is not revoked and is
    fresh, so the time slide keeps control-time at now. EN 319 102-1 §5.6.2.1: PASSED with that
    control-time (the past signature validation then compares the proof of existence of the
    signature, 2021, with the leaf's notAfter). pyHanko raises ExpiredError."""
    pki = Pki()
    hour_ago = NOW - dt.timedelta(hours=1)
    crls = [pki.crl(hour_ago), pki.crl(hour_ago, by_root=True)]
    poe = _poe(
        (pki.asn1(pki.leaf), SIGNED), (pki.asn1(pki.ca), SIGNED), *((c, hour_ago) for c in crls)
    )
    handlers = pki.handlers(crls, poe)
    control_time = asyncio.run(
        ades.past_validate(  # pyhanko_certvalidator.ltv.ades_past.past_validate
            pki.path(),
            pki.policy(CertRevTrustPolicy(REQUIRE_REVINFO)),
            handlers,
            init_control_time=NOW,
        )
    )
    assert control_time == NOW


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=f"{VERSIONS}: pyhanko/sign/validation/generic_cms.py:1286-1297 maps an expired CA "
    "certificate to CERTIFICATE_CHAIN_GENERAL_FAILURE, which ades.py:2298 (_LTA_FURTHER_PROC, "
    "line 1977) takes as final: no past validation",
)
def test_an_expired_ca_certificate_is_out_of_bounds_no_poe() -> None:
    """At 2031 the CA (2030) has expired: INDETERMINATE/OUT_OF_BOUNDS_NO_POE, the sub-indication
    from which EN 319 102-1 §5.6.3 goes on to past validation (EU DSS's validity range check of
    every chain certificate gives it too)."""
    pki = Pki()
    later = dt.datetime(2031, 1, 1, tzinfo=UTC)
    context = pki.policy(CertRevTrustPolicy(NO_REVOCATION)).build_validation_context(
        timing_info=ValidationTimingInfo(later, later, point_in_time_validation=True),
        handlers=None,
    )
    result = asyncio.run(
        generic_cms.handle_certvalidator_errors(
            pki.asn1(pki.leaf), async_validate_path(context, pki.path())
        )
    )
    assert result.error_subindic == AdESIndeterminate.OUT_OF_BOUNDS_NO_POE


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=f"{VERSIONS}: pyhanko/sign/validation/ades.py:1322 (_find_revinfo_data_for_leaf_in_"
    "past) puts the issuer as trust anchor of a one-certificate path, where "
    "pyhanko_certvalidator/path.py:246 (truncate_to_issuer_and_append) cannot place a CRL "
    "signed by that issuer (LookupError, swallowed at revinfo/validate_crl.py:223): a CA's own "
    "CRL is never found, past validation ends REVOCATION_OUT_OF_BOUNDS_NO_POE (ades.py:1472)",
)
def test_the_revocation_data_of_an_expired_certificate_is_found_for_past_validation() -> None:
    """A CRL of the leaf's CA from before the leaf expired, whose issuer (the CA) has a proof of
    existence from then: what EN 319 102-1 §5.6.2.4 asks for when the signature's proof of
    existence is within the leaf's validity. pyHanko finds no CRL at all."""
    pki = Pki()
    old_crl = pki.crl(SIGNED)
    poe = _poe((pki.asn1(pki.ca), SIGNED), (old_crl, SIGNED))
    handlers = pki.handlers([old_crl], poe)
    crls, _ = asyncio.run(
        ades._find_revinfo_data_for_leaf_in_past(
            pki.asn1(pki.leaf),
            handlers,
            control_time=NOW,
            revocation_checking_rule=CertRevTrustPolicy(
                REQUIRE_REVINFO
            ).revocation_checking_policy.ee_certificate_rule,
        )
    )
    assert [c.crl.crl_data.dump() for c in crls] == [old_crl.dump()]


def test_the_same_crl_is_found_on_the_full_path() -> None:
    """The control for the test above: the CRL and POEs are fine, only the truncated path is
    the problem (pyHanko's time slide, on the full path, finds the CRL)."""
    from pyhanko_certvalidator.revinfo.validate_crl import collect_relevant_crls_with_paths

    pki = Pki()
    old_crl = pki.crl(SIGNED)
    handlers = pki.handlers([old_crl], _poe((pki.asn1(pki.ca), SIGNED), (old_crl, SIGNED)))
    found = asyncio.run(
        collect_relevant_crls_with_paths(
            pki.asn1(pki.leaf), pki.path(), handlers.revinfo_manager, NOW
        )
    )
    assert [c.crl.crl_data.dump() for c in found.crls] == [old_crl.dump()]
