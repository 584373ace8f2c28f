"""The licence signer's key in a PKCS#11 token (an HSM; SoftHSM2 in development and CI).

Settings name the module (`BIZREG_PKCS11_MODULE`), the keys as RFC 7512 URIs
(`BIZREG_PKCS11_SIGNER_KEY=pkcs11:token=bizreg;object=licence-signer`, the timestamp
authority's `BIZREG_PKCS11_TSA_KEY`, the transparency log's Ed25519 `BIZREG_PKCS11_LOG_KEY`)
and the user PIN, read
from a file (`BIZREG_PKCS11_PIN_FILE`) or the environment (`BIZREG_PKCS11_PIN`), never from the
URI. `bizreg pki init --pkcs11` generates the key inside the token (sensitive,
non-extractable) and writes only its certificate to the data directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization

from registration.settings import Settings
from signing import KeyStoreError, PkiError

if TYPE_CHECKING:  # python-pkcs11 is loaded only by deployments that use a token
    from signing.pkcs11_keystore import Pkcs11Ed25519Key, Pkcs11KeyStore, Pkcs11Token


@dataclass(frozen=True)
class Pkcs11Uri:
    """The parts of an RFC 7512 URI we use: which token, which object."""

    token: str
    object: str

    @classmethod
    def parse(cls, uri: str) -> Pkcs11Uri:
        if not uri.startswith("pkcs11:"):
            raise PkiError(f"not a pkcs11: URI (RFC 7512): {uri!r}")
        path = uri[len("pkcs11:") :].split("?", 1)[0]
        attributes: dict[str, str] = {}
        for part in filter(None, path.split(";")):
            name, equals, value = part.partition("=")
            if not equals:
                raise PkiError(f"malformed attribute {part!r} in {uri!r}")
            attributes[name] = unquote(value)
        if "token" not in attributes or "object" not in attributes:
            raise PkiError(f"the URI must name a token and an object: {uri!r}")
        return cls(attributes["token"], attributes["object"])


def _pin(settings: Settings) -> str:
    if settings.pkcs11_pin_file is not None:
        return settings.pkcs11_pin_file.read_text().strip()
    if settings.pkcs11_pin is not None:
        return settings.pkcs11_pin.get_secret_value()
    raise PkiError("set BIZREG_PKCS11_PIN_FILE or BIZREG_PKCS11_PIN for the token's user PIN")


def _token(settings: Settings, uri: str | None = None) -> tuple[Pkcs11Token, str]:
    from signing.pkcs11_keystore import Pkcs11Token

    uri = uri or settings.pkcs11_signer_key
    if uri is None or settings.pkcs11_module is None:
        raise PkiError("set BIZREG_PKCS11_MODULE and BIZREG_PKCS11_SIGNER_KEY")
    parsed = Pkcs11Uri.parse(uri)
    return Pkcs11Token(settings.pkcs11_module, parsed.token, _pin(settings)), parsed.object


def keystore(settings: Settings, uri: str) -> Pkcs11KeyStore:
    """The key named by `uri` in the configured module's token."""
    from signing.pkcs11_keystore import Pkcs11KeyStore

    token, label = _token(settings, uri)
    try:
        return Pkcs11KeyStore(token, label)
    except KeyStoreError as error:
        raise PkiError(f"{error} (run `bizreg pki init --pkcs11`)") from None


def signer_keystore(settings: Settings) -> Pkcs11KeyStore:
    """The licence signer's key in the token named by the settings."""
    if settings.pkcs11_signer_key is None:
        raise PkiError("set BIZREG_PKCS11_SIGNER_KEY")
    return keystore(settings, settings.pkcs11_signer_key)


def generate_key(settings: Settings, uri: str) -> Pkcs11KeyStore:
    """The key named by `uri`, generated inside the token unless it is there already."""
    from signing.pkcs11_keystore import Pkcs11KeyStore, generate_pkcs11_key

    token, label = _token(settings, uri)
    try:
        return Pkcs11KeyStore(token, label)
    except KeyStoreError:
        return generate_pkcs11_key(token, label, settings.pki_key_algorithm)


def log_key(settings: Settings, *, create: bool = False) -> Pkcs11Ed25519Key:
    """The transparency log's Ed25519 checkpoint key in the token (`BIZREG_PKCS11_LOG_KEY`)."""
    from signing.pkcs11_keystore import Pkcs11Ed25519Key, generate_pkcs11_ed25519

    if settings.pkcs11_log_key is None:
        raise PkiError("set BIZREG_PKCS11_LOG_KEY")
    token, label = _token(settings, settings.pkcs11_log_key)
    try:
        return Pkcs11Ed25519Key(token, label)
    except KeyStoreError as error:
        if create:
            return generate_pkcs11_ed25519(token, label)
        raise PkiError(f"{error} (run `bizreg pki init --pkcs11`)") from None


def same_key(a: object, b: object) -> bool:
    def der(key: object) -> bytes:
        return key.public_bytes(  # type: ignore[attr-defined,no-any-return]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    return der(a) == der(b)
