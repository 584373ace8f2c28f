"""Single-pass signing (`signing.pdf_scan`, `signing.single_pass`): the licence as the template
renders it, signed without pyHanko parsing it, accepted by pdfsig, the pyhanko CLI, pyHanko's
API and our verifier; deterministic for a fixed clock; refusing what it does not recognise."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel

from signing import LicenceSigner, Pki, SealStampStyle
from signing.pdf_scan import UnrecognisedPdf, scan
from signing.tsa import InProcessTimeStamper, TimestampAuthority
from templates import SEAL_BOX, render_licence
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS
from tests.signing.support import (
    pdfsig,
    pyhanko_cli_validate,
    validate_offline,
    validate_with_crls,
)
from verification import LicenceVerifier
from verification.report import Indication

# A fixed signing time inside the test PKI's validity (made when the session starts).


def _moment(pki: Pki) -> dt.datetime:
    """A fixed signing time inside every certificate's validity: taken from the hierarchy, not
    from when the module was imported (a full suite reaches these tests minutes later, after
    a PKI made then)."""
    latest = max(
        cert.not_valid_before_utc
        for cert in (pki.signer_certificate, pki.tsa_certificate, pki.issuing_certificate)
    )
    return latest.replace(microsecond=0) + dt.timedelta(minutes=1)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_licence(SPECIMENS["paris"], public_base_url=SPECIMEN_BASE_URL)


def _signer(
    pki: Pki,
    timestamper: InProcessTimeStamper | None,
    seal: SealStampStyle,
    *,
    level: str = "B-LT",
    single_pass: bool = True,
    clock: Callable[[], dt.datetime] | None = None,
) -> LicenceSigner:
    signer = LicenceSigner.for_pki(
        pki,
        timestamper=timestamper,
        level=level,  # type: ignore[arg-type]
        seal=seal,
        single_pass=single_pass,
    )
    if clock is not None:
        signer._clock = clock
    return signer


@pytest.fixture(scope="module")
def single_pass_pdf(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, unsigned: bytes
) -> bytes:
    signer = _signer(pki, timestamper, seal_style)
    return signer.sign(
        unsigned, seal_box=SEAL_BOX, reason="营业执照 Business licence", location="Dongguan"
    )


@pytest.fixture(scope="module")
def single_pass_blta(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, unsigned: bytes
) -> bytes:
    return _signer(pki, timestamper, seal_style, level="B-LTA").sign(unsigned, seal_box=SEAL_BOX)


def _byte_range(pdf: bytes, index: int = 0) -> list[int]:
    found = re.findall(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", pdf)
    return [int(v) for v in found[index]]


def _write(tmp_path: Path, name: str, pdf: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


# -- the scanner ------------------------------------------------------------------------------


def test_scanner_recognises_what_the_templates_write(unsigned: bytes, licence_pdf: bytes) -> None:
    finished = scan(unsigned)  # reportlab, then qpdf through pikepdf
    assert finished.catalog.get("Type") == "Catalog"
    assert len(finished.pages) == 1
    assert finished.document_id is not None
    raw = scan(licence_pdf)  # reportlab alone (a comment inside its trailer)
    assert raw.info is not None
    assert len(raw.pages) == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda pdf: b"not a pdf", "no PDF header"),
        (lambda pdf: pdf[:-200], "startxref"),
        (lambda pdf: pdf.replace(b"/Type /Catalog", b"/Type /Catalo_"), "not a /Type /Catalog"),
        (lambda pdf: pdf.replace(b"\n1 0 obj", b"\n1 0 ob_", 1), "is not at offset"),
    ],
)
def test_scanner_refuses_the_unexpected(
    unsigned: bytes, mutate: Callable[[bytes], bytes], message: str
) -> None:
    with pytest.raises(UnrecognisedPdf, match=message):
        scan(mutate(unsigned))


def test_scanner_refuses_cross_reference_streams(unsigned: bytes) -> None:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(unsigned)) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    with pytest.raises(UnrecognisedPdf, match="cross-reference streams"):
        scan(out.getvalue())


def test_scanner_refuses_a_signed_pdf_and_the_signer_falls_back(
    single_pass_pdf: bytes,
    pki: Pki,
    timestamper: InProcessTimeStamper,
    seal_style: SealStampStyle,
) -> None:
    with pytest.raises(UnrecognisedPdf):
        scan(single_pass_pdf)
    # LicenceSigner hands what the scanner refuses to pyHanko: a second signature still works.
    twice = _signer(pki, timestamper, seal_style).sign(single_pass_pdf, field_name="Second")
    assert len(PdfFileReader(io.BytesIO(twice)).embedded_regular_signatures) == 2
    assert b"/ESIC" in twice[len(single_pass_pdf) :]  # pyHanko's extension marker


# -- validators -------------------------------------------------------------------------------


def test_written_without_pyhanko(single_pass_pdf: bytes, unsigned: bytes) -> None:
    assert single_pass_pdf.startswith(unsigned)
    update = single_pass_pdf[len(unsigned) :]
    assert b"/ESIC" not in update
    assert b"pyHanko" not in update
    assert update.count(b"%%EOF") == 1


def test_pyhanko_api_accepts_it_offline(single_pass_pdf: bytes, pki: Pki) -> None:
    status = validate_offline(single_pass_pdf, pki.root_certificate)
    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.valid


def test_dss_holds_chain_and_crls(single_pass_pdf: bytes, pki: Pki) -> None:
    reader = PdfFileReader(io.BytesIO(single_pass_pdf))
    dss = reader.root["/DSS"]
    certs = {ref.get_object().data for ref in dss["/Certs"]}
    crls = {ref.get_object().data for ref in dss["/CRLs"]}
    from cryptography.hazmat.primitives.serialization import Encoding

    for cert in (pki.root_certificate, pki.issuing_certificate, pki.signer_certificate):
        assert cert.public_bytes(Encoding.DER) in certs
    assert pki.tsa_certificate.public_bytes(Encoding.DER) in certs
    assert set(pki.crls_der()) <= crls
    assert "/VRI" not in dss


def test_pdfsig_accepts_it(
    single_pass_pdf: bytes, pdfsig_tool: str, nss_db: str, tmp_path: Path
) -> None:
    report = pdfsig(pdfsig_tool, nss_db, _write(tmp_path, "licence.pdf", single_pass_pdf))
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report
    assert "Total document signed" in report


def test_pyhanko_cli_accepts_it(single_pass_pdf: bytes, root_pem: Path, tmp_path: Path) -> None:
    result = pyhanko_cli_validate(_write(tmp_path, "licence.pdf", single_pass_pdf), root_pem)
    assert result.returncode == 0, result.stdout + result.stderr


def test_our_verifier_accepts_it(single_pass_pdf: bytes, pki: Pki) -> None:
    report = LicenceVerifier([pki.root_certificate]).verify(single_pass_pdf)
    assert report.indication is Indication.TOTAL_PASSED, report.problems


def test_blta_document_timestamp(
    single_pass_blta: bytes,
    pki: Pki,
    pdfsig_tool: str,
    nss_db: str,
    root_pem: Path,
    tmp_path: Path,
) -> None:
    reader = PdfFileReader(io.BytesIO(single_pass_blta))
    assert len(reader.embedded_timestamp_signatures) == 1
    status = validate_offline(single_pass_blta, pki.root_certificate)
    assert status.bottom_line, status.pretty_print_details()
    from pyhanko_certvalidator import ValidationContext

    from signing.cms_signer import asn1_certificate

    timestamp = validate_pdf_timestamp(
        reader.embedded_timestamp_signatures[0],
        validation_context=ValidationContext(
            trust_roots=[asn1_certificate(pki.root_certificate)], allow_fetching=False
        ),
    )
    assert timestamp.valid
    assert timestamp.intact
    assert timestamp.coverage == SignatureCoverageLevel.ENTIRE_FILE
    report = LicenceVerifier([pki.root_certificate]).verify(single_pass_blta)
    assert report.indication is Indication.TOTAL_PASSED, report.problems
    assert "Signature is Valid." in pdfsig(
        pdfsig_tool, nss_db, _write(tmp_path, "blta.pdf", single_pass_blta)
    )
    result = pyhanko_cli_validate(_write(tmp_path, "blta2.pdf", single_pass_blta), root_pem)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tampering_is_detected(single_pass_pdf: bytes, pki: Pki) -> None:
    tampered = bytearray(single_pass_pdf)
    position = single_pass_pdf.index(b"/Lang")
    tampered[position + 1] ^= 0x20  # /lang
    status = validate_offline(bytes(tampered), pki.root_certificate)
    assert not status.intact
    assert not status.bottom_line


# -- the byte ranges --------------------------------------------------------------------------


def test_byte_ranges_cover_everything_but_contents(
    single_pass_pdf: bytes, single_pass_blta: bytes
) -> None:
    for pdf, index in ((single_pass_pdf, 0), (single_pass_blta, 0), (single_pass_blta, 1)):
        zero, first_end, second_start, second_length = _byte_range(pdf, index)
        assert zero == 0
        contents = pdf[first_end:second_start]
        assert contents.startswith(b"<")
        assert contents.endswith(b">")
        assert re.fullmatch(rb"<[0-9A-F]*0*>", contents)
        assert pdf[first_end - len(b"/Contents ") : first_end] == b"/Contents "
        if (index == 0 and pdf is single_pass_pdf) or index == 1:
            assert second_start + second_length == len(pdf)  # the newest revision: to EOF


# -- determinism ------------------------------------------------------------------------------


def _outside_contents(pdf: bytes) -> bytes:
    return re.sub(rb"/Contents <[0-9A-F]+>", b"/Contents <>", pdf)


def test_deterministic_for_a_fixed_clock(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, unsigned: bytes
) -> None:
    moment = _moment(pki)
    signer = _signer(pki, timestamper, seal_style, clock=lambda: moment)
    first = signer.sign(unsigned, seal_box=SEAL_BOX, reason="r")
    second = signer.sign(unsigned, seal_box=SEAL_BOX, reason="r")
    # ECDSA signatures and timestamp serial numbers are random; everything else is not.
    assert _outside_contents(first) == _outside_contents(second)
    assert _byte_range(first) == _byte_range(second)
    assert b"/M (D:%s+00'00')" % moment.strftime("%Y%m%d%H%M%S").encode() in first


def test_byte_for_byte_with_a_deterministic_key_and_tsa(
    make_pki: Callable[..., Pki], seal_style: SealStampStyle, unsigned: bytes
) -> None:
    """RSA PKCS#1 v1.5 signs deterministically; a TSA with a fixed clock and serial too."""
    pki = make_pki("deterministic", key_algorithm="rsa-2048")
    moment = _moment(pki)

    class FixedSerialAuthority(TimestampAuthority):
        def token(self, digest: bytes) -> bytes:
            import signing.tsa as tsa_module

            original = tsa_module.secrets.randbits
            tsa_module.secrets.randbits = lambda bits: 12345  # type: ignore[assignment]
            try:
                return super().token(digest)
            finally:
                tsa_module.secrets.randbits = original  # type: ignore[assignment]

    authority = FixedSerialAuthority(
        pki.tsa_certificate, pki.tsa_key(), pki.chain, clock=lambda: moment
    )
    signer = _signer(pki, InProcessTimeStamper(authority), seal_style, clock=lambda: moment)
    first = signer.sign(unsigned, seal_box=SEAL_BOX)
    assert signer.sign(unsigned, seal_box=SEAL_BOX) == first


# -- the same visible result ------------------------------------------------------------------


def _appearance(pdf: bytes) -> tuple[list[float], bytes, bytes, bytes]:
    reader = PdfFileReader(io.BytesIO(pdf))
    widget = reader.root["/AcroForm"]["/Fields"][0].get_object()
    appearance = widget["/AP"]["/N"].get_object()
    font = appearance["/Resources"]["/Font"]["/SealFont"].get_object()
    descendant = font["/DescendantFonts"][0].get_object()
    program = descendant["/FontDescriptor"]["/FontFile2"].get_object().data
    return (
        [float(v) for v in widget["/Rect"]],
        appearance.data,
        program,
        font["/ToUnicode"].get_object().data,
    )


def test_same_seal_as_the_pyhanko_path(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, unsigned: bytes
) -> None:
    general = _signer(pki, timestamper, seal_style, single_pass=False).sign(
        unsigned, seal_box=SEAL_BOX
    )
    signature = PdfFileReader(io.BytesIO(general)).embedded_regular_signatures[0]
    moment = signature.self_reported_timestamp
    assert moment is not None
    single = _signer(pki, timestamper, seal_style, clock=lambda: moment).sign(
        unsigned, seal_box=SEAL_BOX
    )
    assert _appearance(single) == _appearance(general)


def test_rectangular_seal_and_invisible_signature(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, unsigned: bytes
) -> None:
    rectangle = dataclasses.replace(seal_style, shape="rectangle")
    pdf = _signer(pki, timestamper, rectangle).sign(unsigned, seal_box=SEAL_BOX)
    assert validate_offline(pdf, pki.root_certificate).bottom_line
    invisible = _signer(pki, timestamper, seal_style).sign(unsigned)
    assert validate_offline(invisible, pki.root_certificate).bottom_line
    assert b"/ESIC" not in invisible


def test_lower_levels(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, unsigned: bytes
) -> None:
    for level in ("B-B", "B-T"):
        pdf = _signer(pki, timestamper, seal_style, level=level).sign(unsigned, seal_box=SEAL_BOX)
        assert b"/ESIC" not in pdf
        assert "/DSS" not in PdfFileReader(io.BytesIO(pdf)).root
        status = validate_with_crls(pdf, pki.root_certificate, list(pki.crls_der()))
        assert status.bottom_line, status.pretty_print_details()
        assert (status.timestamp_validity is not None) == (level == "B-T")
