"""RFC 9421 HTTP Message Signatures: how terminals sign requests and how we check them.

Every request a terminal sends carries two Structured Field Dictionaries (RFC 9421 §4):

    Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
    Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1764374400;
        keyid="boc-t01-2025";nonce="3Rb0o1...";alg="ed25519"
    Signature: sig1=:<64 bytes, base64>:

The signature is made over the *signature base* (RFC 9421 §2.5): one line per covered
component, then the `@signature-params` line. Our profile (DESIGN §6):

- covered: `@method` and `@target-uri` always, `content-digest` whenever there is a body
  (the digest binds the body, RFC 9530), plus whatever header fields a caller asks for;
- parameters: `created` and `keyid` and `nonce` are required, `alg` is optional but must match
  the registered key, `expires` is honoured (strictly: no skew allowance), `tag` is allowed;
  anything else is refused;
- algorithms: `ed25519` (§3.3.6) and `ecdsa-p256-sha256` (§3.3.4, raw r||s, not DER);
- freshness: `created` within ±`max_skew` of our clock (§7.2.2 suggests a window), and replay
  refused through a `NonceStore` — consulted only after the signature verified, so an
  unauthenticated request can never fill the store.

Errors (all `RequestSignatureError`, tree drawn in `bank_adapter.errors`): signature_missing,
signature_invalid, digest_mismatch, stale_signature, unknown_key, replayed_nonce (and
client_suspended, which only the application can know).

This module works on plain values: a method, the absolute target URI, the header fields and
the raw body bytes. The application must pass the target URI *as the client addressed it*:
its configured public base URL plus the raw, still percent-encoded path and query (in ASGI,
`scope["raw_path"]` and `scope["query_string"]`), not a URL rebuilt from a decoded path or
from a `Host` header an intermediary may have rewritten.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Final, TypeAlias
from urllib.parse import urlsplit

import http_sf
from http_sf.types import BareItemType, DictionaryType, ParamsType

from bank_adapter.content_digest import create_content_digest, verify_content_digest
from bank_adapter.errors import (
    ComponentNotCovered,
    ContentDigestError,
    DigestMismatch,
    ReplayedNonce,
    SignatureInvalid,
    SignatureMissing,
    StaleSignature,
    UnknownKey,
)
from bank_adapter.keys import (
    PrivateKey,
    PublicKey,
    SignatureAlgorithm,
    sign_raw,
    signature_algorithm_for,
    verify_raw,
)
from bank_adapter.nonces import NonceStore

__all__ = [
    "DEFAULT_MAX_SKEW",
    "DEFAULT_REQUIRED_COMPONENTS",
    "HeaderFields",
    "VerifiedSignature",
    "build_signature_base",
    "sign_request",
    "verify_request",
]

HeaderFields: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
"""Header fields as a mapping, or as (name, value) pairs when a field may repeat."""

DEFAULT_REQUIRED_COMPONENTS: Final[tuple[str, ...]] = ("@method", "@target-uri")
DEFAULT_MAX_SKEW: Final = timedelta(seconds=60)
# Fields that change what a request means: when present they must be signed, or a replayed or
# relayed request could be made to do something else (a new Idempotency-Key turns a retry into
# a second create; a new Content-Type, another reading of the same bytes).
MEANINGFUL_FIELDS: Final = ("idempotency-key", "content-type")

# Bounds on what we parse before any key is involved; real fields are ~200 bytes.
_MAX_FIELD_LENGTH: Final = 8192
_MAX_KEYID_LENGTH: Final = 256
_MAX_NONCE_LENGTH: Final = 128

_KNOWN_PARAMETERS: Final = frozenset({"created", "expires", "keyid", "nonce", "alg", "tag"})
_INTEGER_PARAMETERS: Final = frozenset({"created", "expires"})
# RFC 9421 §2.2: the derived components a request can carry. `@query-param` needs a `name`
# parameter and `@status` belongs to responses; we support neither.
_DERIVED_COMPONENTS: Final = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}


@dataclass(frozen=True)
class VerifiedSignature:
    """What a valid signature vouches for; trust nothing about the request beyond this."""

    keyid: str
    nonce: str
    created: datetime
    label: str
    alg: SignatureAlgorithm
    covered_components: tuple[str, ...]
    expires: datetime | None
    nonce_expires_at: datetime
    """Until when a replay of this (keyid, nonce) would still be inside the window."""


# --- building the signature base (RFC 9421 §2.5) ------------------------------------------


class _ComponentError(ValueError):
    """A covered component cannot be resolved from the message."""


@dataclass(frozen=True)
class _Message:
    method: str
    target_uri: str
    fields: dict[str, list[str]]

    @classmethod
    def of(cls, method: str, target_uri: str, headers: HeaderFields) -> _Message:
        return cls(method, target_uri, _collect_fields(headers))

    @cached_property
    def target(self) -> tuple[str, str, str, str | None]:
        return _split_target_uri(self.target_uri)

    def field(self, name: str) -> str | None:
        lines = self.fields.get(name)
        # RFC 9421 §2.1: each field line's value trimmed, lines joined with ", ".
        return None if lines is None else ", ".join(lines)


def _collect_fields(headers: HeaderFields) -> dict[str, list[str]]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name.lower(), []).append(value.strip(" \t"))
    return fields


def _split_target_uri(target_uri: str) -> tuple[str, str, str, str | None]:
    """(scheme, authority, path, query or None) of an absolute URI; RFC 3986 §3."""
    parts = urlsplit(target_uri)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"the target URI must be absolute, got {target_uri!r}")
    without_fragment = target_uri.split("#", 1)[0]
    query = parts.query if "?" in without_fragment else None
    # RFC 9110 §4.2.3: an empty path is equivalent to "/".
    return parts.scheme, parts.netloc, parts.path or "/", query


def _derived_component(name: str, message: _Message) -> str:
    scheme, netloc, path, query = message.target
    query_suffix = "" if query is None else "?" + query
    if name == "@method":
        return message.method  # §2.2.1: the method name as sent, case-sensitive.
    if name == "@target-uri":
        return f"{scheme}://{netloc}{path}{query_suffix}"  # §2.2.2
    if name == "@authority":
        # §2.2.3: normalised per RFC 9110 §4.2.3 — lowercase host, default port omitted.
        host_port = netloc.rsplit("@", 1)[-1].lower()
        host, sep, port = host_port.rpartition(":")
        if sep and "]" not in port and port == _DEFAULT_PORTS.get(scheme.lower()):
            return host
        return host_port
    if name == "@scheme":
        return scheme.lower()  # §2.2.4
    if name == "@request-target":
        return path + query_suffix  # §2.2.5 (origin form)
    if name == "@path":
        return path  # §2.2.6
    if name == "@query":
        return "?" + (query or "")  # §2.2.7: "?" alone when there is no query
    raise _ComponentError(f"unsupported derived component {name!r}")


def _component_value(name: str, message: _Message) -> str:
    if name.startswith("@"):
        value = _derived_component(name, message)
    else:
        field = message.field(name)
        if field is None:
            # §2.5: a covered component that is absent makes the signature base fail.
            raise _ComponentError(f"covered header field {name!r} is absent")
        value = field
    if "\n" in value or "\r" in value:
        raise _ComponentError(f"component {name!r} contains a line break")
    return value


# RFC 9651 §3.1.2 keys and §3.3.3 strings (printable ASCII).
_SF_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_SF_STRING = re.compile(r"[\x20-\x7e]*")
_SF_MAX_INTEGER = 999_999_999_999_999


def _sf_string(value: str) -> str:
    """RFC 9651 §4.1.6: serialize a String (the only escapes are \\ and \")."""
    if not _SF_STRING.fullmatch(value):
        raise ValueError(f"not serializable as a Structured Field String: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sf_bare_item(value: object) -> str:
    # Only the types signature parameters use: §4.1.8 Boolean, §4.1.4 Integer, §4.1.6 String.
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int) and abs(value) <= _SF_MAX_INTEGER:
        return str(value)
    if isinstance(value, str):
        return _sf_string(value)
    raise ValueError(f"unsupported signature parameter value {value!r}")


def _sf_key(key: str) -> str:
    if not _SF_KEY.fullmatch(key):
        raise ValueError(f"not a Structured Field key: {key!r}")
    return key


def _serialize_signature_params(components: Sequence[str], params: Mapping[str, object]) -> str:
    # §2.3: the value of @signature-params is the RFC 9651 §4.1.1.1 serialization of the
    # inner list of component identifiers (sf-strings) followed by the parameters, in order.
    # Serialized here rather than by http_sf, whose general serializer was the largest cost
    # of verifying a request; tests check both agree.
    inner = " ".join(_sf_string(component) for component in components)
    parameters = "".join(
        f";{_sf_key(key)}" if value is True else f";{_sf_key(key)}={_sf_bare_item(value)}"
        for key, value in params.items()
    )
    return f"({inner}){parameters}"


def _signature_base(
    components: Sequence[str], params: Mapping[str, object], message: _Message
) -> bytes:
    lines = []
    for name in components:
        # Component identifiers are sf-strings (§2): `"name"`, escaped like any sf-string.
        lines.append(f"{_sf_string(name)}: {_component_value(name, message)}")
    lines.append(f'"@signature-params": {_serialize_signature_params(components, params)}')
    try:
        # §2.5: the signature base is ASCII; a non-ASCII value cannot be signed faithfully.
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError as exc:
        raise _ComponentError("the signature base contains non-ASCII characters") from exc


def build_signature_base(
    method: str,
    target_uri: str,
    headers: HeaderFields,
    covered_components: Sequence[str],
    signature_params: Mapping[str, int | str],
) -> bytes:
    """The RFC 9421 §2.5 signature base for these components and parameters, in order.

    Exposed so tests and integrators can compare bases byte for byte with another
    implementation (the RFC's Appendix B vectors, a bank's own library).
    """
    return _signature_base(
        covered_components, signature_params, _Message.of(method, target_uri, headers)
    )


# --- signing ------------------------------------------------------------------------------


def sign_request(
    method: str,
    target_uri: str,
    headers: HeaderFields,
    body: bytes,
    *,
    key: PrivateKey,
    keyid: str,
    alg: SignatureAlgorithm | None = None,
    created: datetime | None = None,
    expires: datetime | None = None,
    nonce: str | None = None,
    label: str = "sig1",
    covered_fields: Sequence[str] = (),
    cover_meaningful_fields: bool = True,
) -> dict[str, str]:
    """Sign a request; return the header fields to add to it.

    Returns `Signature-Input` and `Signature`, plus `Content-Digest` (sha-256) when `body` is
    not empty; these replace any fields of the same name. `Idempotency-Key` and (with a body)
    `Content-Type` are signed whenever `headers` has them, as the service requires
    (`MEANINGFUL_FIELDS`; `cover_meaningful_fields=False` only to test that refusal).
    `covered_fields` names further header fields to sign; they must be in `headers`. `alg`
    defaults to the key's algorithm and must match it if given.
    """
    key_alg = signature_algorithm_for(key)
    if alg is not None and alg != key_alg:
        raise ValueError(f"alg {alg!r} does not match the key ({key_alg})")
    created = created or datetime.now(UTC)
    if created.tzinfo is None or (expires is not None and expires.tzinfo is None):
        raise ValueError("created and expires must be timezone-aware")

    added: dict[str, str] = {}
    components = ["@method", "@target-uri"]
    if body:
        added["Content-Digest"] = create_content_digest(body)
        components.append("content-digest")
    for name in covered_fields:
        name = name.lower()
        if name.startswith("@") or name in components:
            raise ValueError(f"{name!r} is not an additional header field")
        components.append(name)
    if cover_meaningful_fields:
        present = _collect_fields(headers)
        for name in MEANINGFUL_FIELDS:
            if name in present and name not in components and (name != "content-type" or body):
                components.append(name)

    params: ParamsType = {"created": int(created.timestamp())}
    if expires is not None:
        params["expires"] = int(expires.timestamp())
    params["keyid"] = keyid
    # 128 random bits: unguessable and, within one key's window, never repeated.
    params["nonce"] = nonce if nonce is not None else secrets.token_urlsafe(16)
    params["alg"] = key_alg

    fields = {
        name: lines
        for name, lines in _collect_fields(headers).items()
        if name not in ("content-digest", "signature-input", "signature")
    }
    if body:
        fields["content-digest"] = [added["Content-Digest"]]
    message = _Message(method, target_uri, fields)
    try:
        base = _signature_base(components, params, message)
    except _ComponentError as exc:
        raise ValueError(str(exc)) from exc

    signature = sign_raw(key, base)
    # §4.1 and §4.2: Dictionaries with one member each, under the same label.
    added["Signature-Input"] = f"{_sf_key(label)}={_serialize_signature_params(components, params)}"
    added["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return added


# --- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _SignatureParams:
    created: int
    expires: int | None
    keyid: str
    nonce: str
    alg: str | None


def verify_request(
    method: str,
    target_uri: str,
    headers: HeaderFields,
    body: bytes,
    *,
    resolve_key: Callable[[str], PublicKey | None],
    now: datetime,
    nonce_store: NonceStore | None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    required_components: Sequence[str] = DEFAULT_REQUIRED_COMPONENTS,
    label: str | None = None,
) -> VerifiedSignature:
    """Verify the request's RFC 9421 signature; return what it vouches for, or raise.

    `resolve_key(keyid)` returns the registered public key, or None when there is none
    (a suspended client is the application's `ClientSuspended`, raised after this returns or
    from `resolve_key` itself). `nonce_store` is required on purpose: pass None only when
    the caller checks `VerifiedSignature.nonce` itself. With `label=None` the request must
    carry exactly one signature; otherwise the one with that label is checked.

    The signature must cover every `required_components` entry, and `content-digest` when
    the body is not empty — a signature over the headers alone would let anyone who sees
    one request replay its authorisation with a different body.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    message = _Message.of(method, target_uri, headers)
    chosen, components, raw_params, signature = _select_signature(message, label)
    params = _check_params(raw_params)
    _check_coverage(components, required_components, body)
    _check_meaningful_fields_covered(components, message, body)

    # §3.2 step 4 with §3.2.1: the application's own requirements (maximum age from
    # `created`, `expires`) are checked on the parameters, before any key or cryptography.
    now_ts = int(now.timestamp())
    skew = int(max_skew.total_seconds())
    if abs(now_ts - params.created) > skew:
        raise StaleSignature("the signature's created time is outside the accepted window")
    # `expires` is the signer's own, stricter limit (§2.3), so it gets no skew allowance: a
    # client that sets one vouches for its clock. Our reference client never sets it.
    if params.expires is not None and now_ts > params.expires:
        raise StaleSignature("the signature has expired")

    key = resolve_key(params.keyid)
    if key is None:
        raise UnknownKey(f"no active key with keyid {params.keyid!r}")
    try:
        key_alg = signature_algorithm_for(key)
    except ValueError as exc:
        raise SignatureInvalid("the registered key is not Ed25519 or ECDSA P-256") from exc
    # §3.2 step 6.4 and §7.3.6: the registered key fixes the algorithm; an `alg` that names
    # another one is a downgrade attempt or a bug, and verification MUST fail.
    if params.alg is not None and params.alg != key_alg:
        raise SignatureInvalid(f"alg {params.alg!r} does not match the registered key")

    try:
        base = _signature_base(components, raw_params, message)
    except (_ComponentError, ValueError) as exc:
        raise SignatureInvalid(f"cannot build the signature base: {exc}") from exc
    if not verify_raw(key, signature, base):
        raise SignatureInvalid("the signature does not verify")

    if "content-digest" in components:
        # §7.2.8: the signature covers only the field; the field must then match the content.
        # Only now is the Content-Digest value authenticated, so only now is it worth checking.
        try:
            verify_content_digest(message.field("content-digest"), body)
        except DigestMismatch:
            raise
        except ContentDigestError as exc:
            raise SignatureInvalid(f"unusable Content-Digest: {exc}") from exc

    last_acceptable = params.created + skew
    if params.expires is not None:
        last_acceptable = min(last_acceptable, params.expires)
    nonce_expires_at = datetime.fromtimestamp(last_acceptable, UTC)
    if nonce_store is not None and not nonce_store.remember(
        params.keyid, params.nonce, nonce_expires_at
    ):
        raise ReplayedNonce("this nonce has already been used with this key")

    return VerifiedSignature(
        keyid=params.keyid,
        nonce=params.nonce,
        created=datetime.fromtimestamp(params.created, UTC),
        label=chosen,
        alg=key_alg,
        covered_components=tuple(components),
        expires=None if params.expires is None else datetime.fromtimestamp(params.expires, UTC),
        nonce_expires_at=nonce_expires_at,
    )


def _parse_dictionary(name: str, message: _Message) -> DictionaryType | None:
    value = message.field(name)
    if value is None:
        return None
    if len(value) > _MAX_FIELD_LENGTH:
        raise SignatureInvalid(f"{name} is too long")

    def refuse_duplicate(key: str, context: str) -> None:
        # RFC 9651 would keep the last value; two signatures under one label are ambiguous,
        # and different parsers disagreeing about which one counts is how bypasses start.
        raise SignatureInvalid(f"{name} repeats {context} key {key!r}")

    try:
        parsed = http_sf.parse(
            value.encode("ascii"), tltype="dictionary", on_duplicate_key=refuse_duplicate
        )
    except (UnicodeEncodeError, ValueError) as exc:
        raise SignatureInvalid(f"{name} is not a Structured Field Dictionary") from exc
    if not isinstance(parsed, dict):  # pragma: no cover - tltype="dictionary" guarantees it
        raise SignatureInvalid(f"{name} is not a Structured Field Dictionary")
    return parsed


def _select_signature(
    message: _Message, label: str | None
) -> tuple[str, list[str], ParamsType, bytes]:
    inputs = _parse_dictionary("signature-input", message)
    signatures = _parse_dictionary("signature", message)
    if not inputs and not signatures:
        raise SignatureMissing("the request carries no Signature and Signature-Input")
    if not inputs or not signatures:
        raise SignatureInvalid("Signature and Signature-Input must both be present")
    if label is None:
        if len(inputs) != 1:
            raise SignatureInvalid("expected exactly one signature")
        label = next(iter(inputs))
    if label not in inputs or label not in signatures:
        raise SignatureInvalid(f"no signature labelled {label!r} in both fields")

    member = inputs[label]
    # §4.1: each Signature-Input member is an inner list of component identifiers.
    if not (isinstance(member, tuple) and isinstance(member[0], list)):
        raise SignatureInvalid("the Signature-Input member is not an inner list")
    inner, raw_params = member
    components: list[str] = []
    for item in inner:
        value, item_params = item if isinstance(item, tuple) else (item, {})
        # §2: identifiers are sf-strings. Parameters (;sf ;key ;bs ;req ;tr) select other
        # serializations we do not implement, and §2.5 says to fail on one not understood.
        if not isinstance(value, str) or item_params:
            raise SignatureInvalid(f"unsupported component identifier {value!r}")
        if value != value.lower():
            raise SignatureInvalid(f"component identifier {value!r} is not lowercase")
        if value == "@signature-params" or (
            value.startswith("@") and value not in _DERIVED_COMPONENTS
        ):
            raise SignatureInvalid(f"unsupported derived component {value!r}")
        if value in components:
            # Two lines for one component make the base ambiguous; nobody signs that.
            raise SignatureInvalid(f"component {value!r} is covered twice")
        components.append(value)

    signature_member = signatures[label]
    signature = signature_member[0] if isinstance(signature_member, tuple) else None
    if not isinstance(signature, bytes):
        raise SignatureInvalid("the Signature member is not a byte sequence")  # §4.2
    if not isinstance(raw_params, dict):  # pragma: no cover - http_sf always gives a dict
        raise SignatureInvalid("malformed signature parameters")
    return label, components, raw_params, signature


def _check_params(params: Mapping[str, BareItemType]) -> _SignatureParams:
    unknown = set(params) - _KNOWN_PARAMETERS
    if unknown:
        raise SignatureInvalid(f"unsupported signature parameters: {', '.join(sorted(unknown))}")
    for name, value in params.items():
        # `type(...) is int`: a Structured Field Boolean parses to bool, a subclass of int.
        if name in _INTEGER_PARAMETERS and type(value) is not int:
            raise SignatureInvalid(f"signature parameter {name!r} must be an integer")
        if name not in _INTEGER_PARAMETERS and not isinstance(value, str):
            raise SignatureInvalid(f"signature parameter {name!r} must be a string")
    created, expires = params.get("created"), params.get("expires")
    keyid, nonce, alg = params.get("keyid"), params.get("nonce"), params.get("alg")
    if not isinstance(created, int):
        raise SignatureInvalid("the signature has no created parameter")
    if isinstance(expires, int) and expires < created:
        raise SignatureInvalid("the signature expires before it was created")
    if not isinstance(keyid, str) or not 0 < len(keyid) <= _MAX_KEYID_LENGTH:
        raise SignatureInvalid("the signature has no usable keyid parameter")
    if not isinstance(nonce, str) or not 0 < len(nonce) <= _MAX_NONCE_LENGTH:
        raise SignatureInvalid("the signature has no usable nonce parameter")
    if alg is not None and alg not in ("ed25519", "ecdsa-p256-sha256"):
        raise SignatureInvalid(f"unsupported alg {alg!r}")
    return _SignatureParams(
        created=created,
        expires=expires if isinstance(expires, int) else None,
        keyid=keyid,
        nonce=nonce,
        alg=alg if isinstance(alg, str) else None,
    )


def _check_meaningful_fields_covered(
    components: Sequence[str], message: _Message, body: bytes
) -> None:
    uncovered = [
        name
        for name in MEANINGFUL_FIELDS
        if name in message.fields and name not in components and (name != "content-type" or body)
    ]
    if uncovered:
        raise ComponentNotCovered(
            f"the signature must cover {', '.join(uncovered)} when the request carries it"
        )


def _check_coverage(components: Sequence[str], required: Sequence[str], body: bytes) -> None:
    missing = [name for name in required if name not in components]
    if body and "content-digest" not in components:
        missing.append("content-digest")
    if missing:
        raise SignatureInvalid(f"the signature does not cover: {', '.join(missing)}")
