"""Signed licences validated by three independent validators: pyHanko's API (offline, from
what the file embeds), the pyhanko CLI (fetching CRLs from our published URLs) and poppler's
pdfsig (NSS, trusting only our root). Each has its negative: tampered, foreign root, revoked."""

from __future__ import annotations

import asyncio
import io
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signing import (
    FileKeyStore,
    LicenceSigner,
    Pki,
    RevocationReason,
    SealBox,
    SealStampStyle,
    SignerNotUsable,
)
from signing.cms_signer import asn1_certificate
from signing.tsa import InProcessTimeStamper
from tests.signing.support import (
    make_nss_db,
    pdfsig,
    pyhanko_cli_validate,
    signature_of,
    validate_offline,
    validate_with_crls,
    write_pem,
)
from tests.tooling import require_tool

# The licence template's 140 pt square (templates.licence.SEAL_BOX).
SEAL_BOX = SealBox(page=0, x1=409, y1=50, x2=549, y2=190)


@pytest.fixture(scope="module")
def blt_pdf(signer_blt: LicenceSigner, licence_pdf: bytes) -> bytes:
    return signer_blt.sign(
        licence_pdf, seal_box=SEAL_BOX, reason="Business licence issued", location="Dongguan"
    )


@pytest.fixture(scope="module")
def blta_pdf(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, licence_pdf: bytes
) -> bytes:
    signer = LicenceSigner.for_pki(pki, timestamper=timestamper, level="B-LTA", seal=seal_style)
    return signer.sign(licence_pdf, seal_box=SEAL_BOX)


def _write(tmp_path: Path, name: str, pdf: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def _tamper(pdf: bytes) -> bytes:
    """Flip one byte inside the first signed byte range (a comment reportlab writes)."""
    position = pdf.index(b"ReportLab Generated PDF document") + 2
    tampered = bytearray(pdf)
    tampered[position] ^= 0x01
    return bytes(tampered)


# -- B-LT, the default ------------------------------------------------------------------------


def test_blt_validates_offline_from_embedded_data(blt_pdf: bytes, pki: Pki) -> None:
    status = validate_offline(blt_pdf, pki.root_certificate)
    assert status.intact
    assert status.valid
    assert status.trusted
    assert not status.revoked
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE  # DSS in the same revision
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.valid
    assert status.timestamp_validity.trusted


def test_blt_embeds_chain_and_crls(blt_pdf: bytes, pki: Pki) -> None:
    reader = PdfFileReader(io.BytesIO(blt_pdf))
    dss = DocumentSecurityStore.read_dss(reader)
    serials = {cert.serial_number for cert in dss.load_certs()}
    assert {
        pki.signer_certificate.serial_number,
        pki.issuing_certificate.serial_number,
        pki.tsa_certificate.serial_number,
    } <= serials
    assert len(dss.crls) == 2  # the issuing CA's and the root's
    signature = signature_of(blt_pdf)
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    signer_info = signature.signed_data["signer_infos"][0]
    signed_attrs = {a["type"].native for a in signer_info["signed_attrs"]}
    # EN 319 142-1 §6.3: ESS signing-certificate-v2, and no CMS signing-time.
    assert signed_attrs == {"content_type", "message_digest", "signing_certificate_v2"}
    unsigned = {a["type"].native for a in signer_info["unsigned_attrs"]}
    assert unsigned == {"signature_time_stamp_token"}


def test_blt_pdfsig_trusts_it(
    blt_pdf: bytes, pdfsig_tool: str, nss_db: str, tmp_path: Path
) -> None:
    report = pdfsig(pdfsig_tool, nss_db, _write(tmp_path, "licence.pdf", blt_pdf))
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report


def test_blt_pyhanko_cli_accepts_it(blt_pdf: bytes, root_pem: Path, tmp_path: Path) -> None:
    result = pyhanko_cli_validate(_write(tmp_path, "licence.pdf", blt_pdf), root_pem)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout


def test_seal_is_drawn_in_the_box(blt_pdf: bytes, seal_style: SealStampStyle) -> None:
    reader = PdfFileReader(io.BytesIO(blt_pdf))
    widget = reader.root["/AcroForm"]["/Fields"][0].get_object()
    assert [float(v) for v in widget["/Rect"]] == [409, 50, 549, 190]
    appearance = widget["/AP"]["/N"].get_object()
    font = appearance["/Resources"]["/Font"]["/SealFont"].get_object()
    assert font["/Subtype"] == "/Type0"
    assert font["/BaseFont"] == f"/{seal_style.font.base_font}"
    descendant = font["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"]  # embedded, not referenced
    to_unicode = font["/ToUnicode"].get_object().data.decode()
    # Every glyph of the authority's name maps back to its character (text is extractable).
    for char in "东莞市市场监督管理局":
        assert f"<{char.encode('utf-16-be').hex().upper()}>" in to_unicode
    content = appearance.data
    # Round seal: the name glyph by glyph along the arc, the English lines across.
    for char in "东莞市市场监督管理局":
        assert seal_style.font.show_text(char) in content
    assert seal_style.font.show_text("for Market Regulation") in content


def test_long_english_name_is_broken_in_two(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, licence_pdf: bytes
) -> None:
    import dataclasses

    one_line = dataclasses.replace(
        seal_style, lines=("东莞市市场监督管理局", "Dongguan Administration for Market Regulation")
    )
    signer = LicenceSigner.for_pki(pki, timestamper=timestamper, seal=one_line)
    pdf = signer.sign(licence_pdf, seal_box=SEAL_BOX)
    widget = PdfFileReader(io.BytesIO(pdf)).root["/AcroForm"]["/Fields"][0].get_object()
    content = widget["/AP"]["/N"].get_object().data
    assert one_line.font.show_text("Dongguan Administration") in content
    assert one_line.font.show_text("for Market Regulation") in content


def test_rectangular_seal(
    pki: Pki, timestamper: InProcessTimeStamper, seal_style: SealStampStyle, licence_pdf: bytes
) -> None:
    import dataclasses
    from typing import NamedTuple

    class Placement(NamedTuple):  # like the template's own SealBox
        page: int
        x1: float
        y1: float
        x2: float
        y2: float

    rectangle = dataclasses.replace(seal_style, shape="rectangle")
    signer = LicenceSigner.for_pki(pki, timestamper=timestamper, seal=rectangle)
    pdf = signer.sign(licence_pdf, seal_box=Placement(0, 300.0, 60.0, 560.0, 160.0))
    assert validate_offline(pdf, pki.root_certificate).bottom_line
    widget = PdfFileReader(io.BytesIO(pdf)).root["/AcroForm"]["/Fields"][0].get_object()
    content = widget["/AP"]["/N"].get_object().data
    assert rectangle.font.show_text("东莞市市场监督管理局") in content


def test_tampered_licence_is_rejected_by_all(
    blt_pdf: bytes, pki: Pki, pdfsig_tool: str, nss_db: str, root_pem: Path, tmp_path: Path
) -> None:
    tampered = _tamper(blt_pdf)
    status = validate_offline(tampered, pki.root_certificate)
    assert not status.intact
    assert not status.bottom_line
    path = _write(tmp_path, "tampered.pdf", tampered)
    assert "Digest Mismatch." in pdfsig(pdfsig_tool, nss_db, path)
    assert pyhanko_cli_validate(path, root_pem).returncode != 0


def test_foreign_root_is_not_trusted(
    make_pki: Callable[..., Pki],
    pki: Pki,
    licence_pdf: bytes,
    pdfsig_tool: str,
    nss_db: str,
    root_pem: Path,
    tmp_path: Path,
) -> None:
    stranger = make_pki("stranger")
    pdf = LicenceSigner.for_pki(stranger).sign(licence_pdf)
    # Valid against its own root ...
    assert validate_offline(pdf, stranger.root_certificate).bottom_line
    # ... but not against ours.
    status = validate_offline(pdf, pki.root_certificate)
    assert status.intact
    assert not status.trusted
    assert not status.bottom_line
    path = _write(tmp_path, "stranger.pdf", pdf)
    report = pdfsig(pdfsig_tool, nss_db, path)
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." not in report
    assert pyhanko_cli_validate(path, root_pem).returncode != 0


def test_revoked_signer(
    make_pki: Callable[..., Pki], licence_pdf: bytes, pdfsig_tool: str, tmp_path: Path
) -> None:
    revoked_pki = make_pki("revoked-signer")
    signer = LicenceSigner.for_pki(revoked_pki)
    pdf = signer.sign(licence_pdf)
    assert validate_offline(pdf, revoked_pki.root_certificate).bottom_line

    revoked_pki.revoke_certificate(
        revoked_pki.signer_certificate.serial_number, RevocationReason.KEY_COMPROMISE
    )
    # pyHanko with the current CRL: revoked.
    status = validate_with_crls(pdf, revoked_pki.root_certificate, list(revoked_pki.crls_der()))
    assert status.revoked
    assert not status.bottom_line
    # The pyhanko CLI fetches the CRL from the distribution point: revoked.
    root = write_pem(tmp_path / "root.pem", revoked_pki.root_certificate)
    path = _write(tmp_path, "revoked.pdf", pdf)
    result = pyhanko_cli_validate(path, root)
    assert result.returncode != 0
    assert "revoked" in (result.stdout + result.stderr).lower()
    # pdfsig with the CRL in its NSS database: revoked.
    certutil = require_tool("certutil", "libnss3-tools")
    crlutil = require_tool("crlutil", "libnss3-tools")
    nss = make_nss_db(certutil, tmp_path / "nss", root)
    crl = tmp_path / "crl.der"
    crl.write_bytes(revoked_pki.current_crl_der())
    issuing = write_pem(tmp_path / "issuing.pem", revoked_pki.issuing_certificate)
    # NSS imports a CRL only if it knows (not necessarily trusts) the CRL's issuer.
    subprocess.run(
        [certutil, "-A", "-d", nss, "-n", "issuing", "-t", ",,", "-i", str(issuing)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [crlutil, "-I", "-d", nss, "-i", str(crl), "-t", "1"], check=True, capture_output=True
    )
    assert "Certificate has been Revoked." in pdfsig(pdfsig_tool, nss, path)
    # And we refuse to sign with it (B-LT would embed a CRL that revokes the signer).
    signer.invalidate()
    with pytest.raises(SignerNotUsable):
        signer.sign(licence_pdf)


# -- other levels -----------------------------------------------------------------------------


def test_blta_validates(
    blta_pdf: bytes, pki: Pki, pdfsig_tool: str, nss_db: str, root_pem: Path, tmp_path: Path
) -> None:
    reader = PdfFileReader(io.BytesIO(blta_pdf))
    assert len(reader.embedded_regular_signatures) == 1
    assert len(reader.embedded_timestamp_signatures) == 1
    status = validate_offline(blta_pdf, pki.root_certificate)
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line
    # The document timestamp covers the whole file, DSS included.
    dss = DocumentSecurityStore.read_dss(reader)
    context = dss.as_validation_context(
        {
            "trust_roots": [asn1_certificate(pki.root_certificate)],
            "allow_fetching": False,
            "revocation_mode": "hard-fail",
        }
    )
    doc_ts = validate_pdf_timestamp(reader.embedded_timestamp_signatures[0], context)
    assert doc_ts.valid
    assert doc_ts.trusted
    assert doc_ts.coverage == SignatureCoverageLevel.ENTIRE_FILE
    path = _write(tmp_path, "archive.pdf", blta_pdf)
    assert "Signature is Valid." in pdfsig(pdfsig_tool, nss_db, path)
    result = pyhanko_cli_validate(path, root_pem)
    assert result.returncode == 0, result.stdout + result.stderr


def test_blta_passes_ades_lta_validation(blta_pdf: bytes, pki: Pki) -> None:
    from pyhanko.sign.ades.report import AdESPassed
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build([asn1_certificate(pki.root_certificate)]),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    result = asyncio.run(ades_lta_validation(signature_of(blta_pdf), spec))
    assert result.ades_subindic == AdESPassed.OK


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_lower_levels(pki: Pki, licence_pdf: bytes, level: str) -> None:
    signer = LicenceSigner.for_pki(pki, level=level)  # type: ignore[arg-type]
    pdf = signer.sign(licence_pdf)
    status = validate_with_crls(pdf, pki.root_certificate, list(pki.crls_der()))
    assert status.bottom_line
    assert (status.timestamp_validity is not None) == (level == "B-T")
    assert "/DSS" not in PdfFileReader(io.BytesIO(pdf)).root  # no validation data below LT


def test_invisible_signature(signer_blt: LicenceSigner, licence_pdf: bytes, pki: Pki) -> None:
    pdf = signer_blt.sign(licence_pdf, field_name="Registry")
    assert validate_offline(pdf, pki.root_certificate).bottom_line
    widget = PdfFileReader(io.BytesIO(pdf)).root["/AcroForm"]["/Fields"][0].get_object()
    assert [float(v) for v in widget["/Rect"]] == [0, 0, 0, 0]


def test_rotation_old_and_new_licences_both_validate(
    make_pki: Callable[..., Pki],
    licence_pdf: bytes,
    pdfsig_tool: str,
    tmp_path: Path,
) -> None:
    rotating = make_pki("rotation")
    before = LicenceSigner.for_pki(rotating).sign(licence_pdf)
    old_serial = rotating.signer_certificate.serial_number
    rotating.rotate_signer()
    after = LicenceSigner.for_pki(rotating).sign(licence_pdf)
    assert signature_of(after).signer_cert.serial_number != old_serial
    root = write_pem(tmp_path / "root.pem", rotating.root_certificate)
    nss = make_nss_db(require_tool("certutil", "libnss3-tools"), tmp_path / "nss", root)
    for name, pdf in (("before.pdf", before), ("after.pdf", after)):
        assert validate_offline(pdf, rotating.root_certificate).bottom_line
        assert validate_with_crls(
            pdf, rotating.root_certificate, list(rotating.crls_der())
        ).bottom_line
        assert "Certificate is Trusted." in pdfsig(pdfsig_tool, nss, _write(tmp_path, name, pdf))


def test_concurrent_signing(signer_blt: LicenceSigner, licence_pdf: bytes, pki: Pki) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        signed = list(pool.map(lambda _: signer_blt.sign(licence_pdf, seal_box=SEAL_BOX), range(8)))
    for pdf in signed:
        assert validate_offline(pdf, pki.root_certificate).bottom_line
    timestamps = {
        signature_of(pdf).signed_data["signer_infos"][0]["signature"].native for pdf in signed
    }
    assert len(timestamps) == len(signed)


def test_external_timestamp_authority_over_http(
    pki: Pki, licence_pdf: bytes, publication_server: object
) -> None:
    from signing import make_timestamper
    from tests.signing.support import PublicationServer

    assert isinstance(publication_server, PublicationServer)
    timestamper = make_timestamper(url=f"{publication_server.base_url('shared')}/tsa")
    signer = LicenceSigner.for_pki(pki, timestamper=timestamper)
    pdf = signer.sign(licence_pdf)
    assert validate_offline(pdf, pki.root_certificate).bottom_line


def test_key_must_match_certificate(pki: Pki, timestamper: InProcessTimeStamper) -> None:
    with pytest.raises(ValueError, match="does not certify"):
        LicenceSigner(
            FileKeyStore(pki.tsa_key()),
            pki.signer_certificate,
            pki.chain,
            timestamper,
            pki.crls_der,
        )


def test_timestamp_token_is_over_the_signature(blt_pdf: bytes) -> None:
    import hashlib

    signer_info = signature_of(blt_pdf).signed_data["signer_infos"][0]
    token = signer_info["unsigned_attrs"][0]["values"][0]
    assert isinstance(token, cms.ContentInfo)
    imprint = token["content"]["encap_content_info"]["content"].parsed["message_imprint"]
    expected = hashlib.sha256(signer_info["signature"].native).digest()
    assert imprint["hashed_message"].native == expected  # EN 319 122-1 §5.3


def test_validation_context_reuse_is_not_needed(blt_pdf: bytes, pki: Pki) -> None:
    # A fresh context that knows only the root and fetches nothing fails for lack of CRLs:
    # what makes the offline validation above pass is the embedded DSS, nothing else.
    context = ValidationContext(
        trust_roots=[asn1_certificate(pki.root_certificate)],
        crls=[],
        allow_fetching=False,
        revocation_mode="require",
    )
    from pyhanko.sign.validation import validate_pdf_signature

    assert not validate_pdf_signature(signature_of(blt_pdf), context).bottom_line


def test_async_signatures_share_one_event_loop(
    pki: Pki, licence_pdf: bytes, publication_server: object
) -> None:
    # With an external TSA the signer really awaits I/O; concurrent signatures on one loop
    # must neither block each other nor mix up their timestamps.
    from signing import make_timestamper
    from tests.signing.support import PublicationServer

    assert isinstance(publication_server, PublicationServer)
    timestamper = make_timestamper(url=f"{publication_server.base_url('shared')}/tsa")
    signer = LicenceSigner.for_pki(pki, timestamper=timestamper)

    async def sign_several() -> list[bytes]:
        return list(await asyncio.gather(*(signer.async_sign(licence_pdf) for _ in range(4))))

    for pdf in asyncio.run(asyncio.wait_for(sign_several(), timeout=60)):
        assert validate_offline(pdf, pki.root_certificate).bottom_line
