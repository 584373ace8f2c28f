"""File key stores, and the seal font (subset once, drawn from glyph ids)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from signing import FileKeyStore, KeyStore, Pki, SealFont, WrongPassphrase
from signing.keys import encrypt_private_key, generate_private_key
from tests.signing.conftest import PASSPHRASE, SEAL_FONT


def test_file_keystore_signs_with_the_pki_key(pki: Pki) -> None:
    assert pki.signer_key_path is not None
    store = FileKeyStore.from_file(pki.signer_key_path, PASSPHRASE)
    assert isinstance(store, KeyStore)
    assert store.public_key == pki.signer_certificate.public_key()
    signature = store.sign(b"licence")
    public = store.public_key
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(signature, b"licence", ec.ECDSA(hashes.SHA256()))


def test_file_keystore_rsa_and_prehashed(tmp_path: Path) -> None:
    key = generate_private_key("rsa-2048")
    path = tmp_path / "key.pem"
    path.write_bytes(encrypt_private_key(key, b"pw", iterations=1000))
    store = FileKeyStore.from_file(path, "pw")
    assert store.algorithm == "rsa-2048"
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"licence")
    signature = store.sign_digest(digest.finalize())
    public = store.public_key
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"licence", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(WrongPassphrase):
        FileKeyStore.from_file(path, "not it")


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(ValueError, match="passphrase"):
        encrypt_private_key(generate_private_key("ecdsa-p256"), b"")


@pytest.fixture(scope="module")
def seal_font() -> SealFont:
    if not SEAL_FONT.exists():
        pytest.skip(f"seal font {SEAL_FONT} is not in the repository")
    return SealFont(SEAL_FONT, "东莞市市场监督管理局")


def test_seal_font_covers_text_and_time(seal_font: SealFont) -> None:
    assert 0 not in seal_font.glyphs("东莞市市场监督管理局 2026-11-29 09:30:00 UTC+08:00")
    assert seal_font.width("东莞", 10) > seal_font.width("东", 10) > 0
    assert seal_font.base_font.split("+")[0].isupper()
    assert len(seal_font.base_font.split("+")[0]) == 6  # ISO 32000-1 §9.6.4 subset tag


def test_seal_font_refuses_missing_glyphs() -> None:
    if not SEAL_FONT.exists():
        pytest.skip(f"seal font {SEAL_FONT} is not in the repository")
    with pytest.raises(ValueError, match="no glyph"):
        SealFont(SEAL_FONT, "\U0001f600")  # not in WenQuanYi Micro Hei


def test_seal_time_line_names_its_offset(seal_font: SealFont) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from signing import SealStampStyle

    style = SealStampStyle(
        font=seal_font, lines=("东莞市市场监督管理局",), timezone=ZoneInfo("Asia/Shanghai")
    )
    moment = dt.datetime(2026, 3, 1, 1, 2, 3, tzinfo=dt.UTC)
    assert style.format_time(moment) == "2026-03-01 09:02:03 UTC+08:00"
