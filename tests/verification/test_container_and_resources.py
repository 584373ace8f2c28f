"""The signature container is written one way only, and hostile validation data cannot make
the verifier hold memory: review findings on /Contents, unsigned attributes and the DSS."""

from __future__ import annotations

import pytest

from signing import _speedups
from signing.verification import Indication, SubIndication
from tests.verification import attacks
from tests.verification.conftest import Genuine
from verification import LicenceVerifier

FAILED, FORMAT = Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE
MiB = 1024 * 1024


def test_the_cms_rewriter_is_faithful(genuine: Genuine) -> None:
    """A control for the attacks below: parsing and re-encoding changes nothing."""
    assert attacks.reencode_cms(genuine.blt) == genuine.blt
    assert attacks.reencode_cms(genuine.blta) == genuine.blta


@pytest.mark.parametrize("level", ["blt", "blta"])
@pytest.mark.parametrize(
    ("attack", "code"),
    [
        (attacks.lowercase_contents, "signature_not_canonical"),
        (attacks.unsigned_attribute_added, "signature_container_altered"),
        (attacks.timestamp_unsigned_attribute_added, "signature_timestamp_altered"),
    ],
)
def test_the_signature_container_is_written_one_way_only(
    genuine: Genuine, verifier: LicenceVerifier, level: str, attack: attacks.Attack, code: str
) -> None:
    """Each was TOTAL_PASSED/authentic at B-LT before: the same CMS (or one with an attribute
    no signature covers) in a different file."""
    pdf: bytes = getattr(genuine, level)
    forged = attack(pdf)
    assert forged != pdf
    report = verifier.verify(forged)
    assert (report.indication, report.sub_indication, report.reason) == (FAILED, FORMAT, code)
    assert report.verdict.value == "invalid"


def test_only_upper_case_hex_is_canonical(genuine: Genuine, verifier: LicenceVerifier) -> None:
    """pyHanko writes the DER in upper case: the genuine file has no lower-case digit."""
    start, end = attacks._contents(genuine.blt)
    digits = genuine.blt[start:end]
    assert digits == digits.upper()
    assert verifier.verify(genuine.blt).indication is Indication.TOTAL_PASSED


@pytest.mark.parametrize("level", ["blt", "blta"])
def test_oversized_validation_data_is_refused_and_never_cached(
    genuine: Genuine, level: str
) -> None:
    """The reviewer's 117 KB file (28 fake 1 MiB certificates, compressed) added ~28 MiB to
    the caches per upload, for good."""
    verifier = LicenceVerifier([genuine.root])
    pdf: bytes = getattr(genuine, level)
    assert verifier.verify(pdf).passed
    before = verifier.signatures.cache_usage()
    forged = attacks.oversized_dss(pdf)
    assert len(forged) < 160_000
    for _ in range(10):
        report = verifier.verify(forged)
        assert (report.indication, report.sub_indication, report.reason) == (
            FAILED,
            FORMAT,
            "too_much_validation_data",
        )
    assert verifier.signatures.cache_usage() == before


def test_caches_stay_bounded_under_fresh_validation_data(genuine: Genuine) -> None:
    """Ten uploads, each with validation data just under every cap and all of it new (real
    certificates of ~14 KiB with long names, CRLs of ~100 KiB claiming the authority's name
    but signed by someone else): the caches keep at most their byte budget of certificates and
    no CRL the authority did not sign."""
    verifier = LicenceVerifier([genuine.root])
    assert verifier.verify(genuine.blt).passed
    genuine_crls = verifier.signatures.cache_usage()["crls"]
    issuer = genuine.authority.pki.root_certificate.subject
    for _ in range(10):
        upload = attacks.padded_certificates_and_crls(genuine.blt, issuer)
        assert len(upload) < 512 * 1024
        report = verifier.verify(upload)
        # validation data may be appended after signing (EN 319 142-1 §5.4): still genuine
        assert report.indication is Indication.TOTAL_PASSED, report.problems
    usage = verifier.signatures.cache_usage()
    assert usage["crls"] == genuine_crls
    for name in ("certificates", "crypto_certificates"):
        entries, held = usage[name]
        assert held <= 1 * MiB, (name, usage)
        assert entries <= 256
    for name in ("crl_checks", "issued"):
        assert usage[name][0] <= 1024
    # and the genuine licence still verifies, the shared entries evicted or not
    assert verifier.verify(genuine.blt).passed


def test_an_item_over_its_cap_is_refused(genuine: Genuine, verifier: LicenceVerifier) -> None:
    certificate = attacks.append_dss(genuine.blt, [attacks._fake_certificate(17 * 1024)])
    report = verifier.verify(certificate)
    assert (report.indication, report.reason) == (FAILED, "too_much_validation_data")
    crl = attacks.append_dss(genuine.blt, [], [attacks._fake_certificate(MiB + 1)])
    report = verifier.verify(crl)
    assert (report.indication, report.reason) == (FAILED, "too_much_validation_data")


def test_long_names_are_not_memoised() -> None:
    """The string preparation memo keeps each string it saw: only a genuine name's length."""
    _speedups.install()
    long_value = "长" * 300 + "a long attacker-chosen name"
    size = _speedups._string_prep.cache_info().currsize
    prepared = _speedups._memoised_string_prep(None, long_value)
    assert prepared == _speedups._original_string_prep(None, long_value)
    assert _speedups._string_prep.cache_info().currsize == size
    short = "Dongguan Administration for Market Regulation (test)"
    assert _speedups._memoised_string_prep(None, short) == _speedups._original_string_prep(
        None, short
    )
    assert _speedups._string_prep.cache_info().currsize <= size + 1
