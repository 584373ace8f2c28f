"""A built-in RFC 3161 timestamp authority, and the timestamp clients the signer can use.

`TimestampAuthority.respond` turns a DER TimeStampReq into a DER TimeStampResp, so the same
object serves an HTTP endpoint (`POST /tsa`, `application/timestamp-query` →
`application/timestamp-reply`, RFC 3161 §3.4) and the signer in-process (`InProcessTimeStamper`,
no HTTP). A request the TSA cannot honour is answered with a `rejection` PKIStatusInfo and the
failure bit that says why (RFC 3161 §2.4.2) — never with an exception.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from signing import der
from signing.errors import SigningError
from signing.keys import PrivateKey
from signing.keystore import FileKeyStore, KeyStore

__all__ = [
    "DEFAULT_TSA_POLICY",
    "TIMESTAMP_QUERY_CONTENT_TYPE",
    "TIMESTAMP_REPLY_CONTENT_TYPE",
    "InProcessTimeStamper",
    "TimestampAuthority",
    "make_timestamper",
]

logger = logging.getLogger(__name__)

TIMESTAMP_QUERY_CONTENT_TYPE = "application/timestamp-query"
TIMESTAMP_REPLY_CONTENT_TYPE = "application/timestamp-reply"

# TSA policy under which tokens are issued (RFC 3161 §2.4.2 `policy`). A UUID-derived OID
# (ITU-T X.667, arc 2.25) is unique without registration; a production TSA would use the
# policy OID of its published practice statement (ETSI EN 319 421).
DEFAULT_TSA_POLICY = "2.25.110504853762834602723968108718639991399"

# Digests we accept in a message imprint. SHA-1 and MD5 are refused (badAlg): a timestamp over
# a collision-prone digest proves nothing about the document.
_ACCEPTED_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}


# `TimeStampResp.timeStampToken` is OPTIONAL (RFC 3161 §2.4.2) and absent in a rejection;
# asn1crypto's structure makes it mandatory, so failure responses use this one.
class _TimeStampResp(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[str, Any, dict[str, Any]]]] = [
        ("status", tsp.PKIStatusInfo, {}),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _Rejection(Exception):
    """A request the TSA declines; carries the RFC 3161 failure bit and a human reason."""

    def __init__(self, failure: str, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason


def _attribute(name: str, value: Any) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": name, "values": [value]})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _path_root(
    cert: x509.Certificate, chain: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    """The root that `cert`'s own path in `chain` ends at (the chain lists that path first).
    Tokens leave it out, as relying parties hold it; anything else the chain holds (after a
    root rollover: the issuing CA as certified by the old root, and the old root) is carried,
    so that every carried certificate can be checked against one carried or trusted."""
    current = cert
    for _ in chain:
        issuer = next((c for c in chain if c.subject == current.issuer), None)
        if issuer is None or issuer.issuer == issuer.subject:
            return issuer
        current = issuer
    return None


class TimestampAuthority:
    """An RFC 3161 TSA signing with `key` under `cert` (which must carry the critical
    id-kp-timeStamping EKU, RFC 3161 §2.3).

    `chain` lists the CA certificates above `cert`; when a request sets certReq, the response
    carries `cert` and the chain minus its self-signed root (the relying party trusts that one
    already). Stateless and thread-safe: serial numbers are random, not counted.
    """

    def __init__(
        self,
        cert: x509.Certificate,
        key: KeyStore | PrivateKey,
        chain: Sequence[x509.Certificate] = (),
        *,
        policy: str = DEFAULT_TSA_POLICY,
        accuracy: dt.timedelta = dt.timedelta(seconds=1),
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.certificate = cert
        self.keystore: KeyStore = key if isinstance(key, KeyStore) else FileKeyStore(key)
        self.chain = tuple(chain)
        self.policy = policy
        self._clock = clock
        asn1_cert = _asn1_certificate(cert)
        root = _path_root(cert, self.chain)
        embedded = [cert] + [c for c in self.chain if c is not root]
        # Everything that is the same in every token is encoded once, here.
        self._certificates_der = der.set_of(
            (c.public_bytes(serialization.Encoding.DER) for c in embedded), tag=der.context(0)
        )
        self._policy_der = core.ObjectIdentifier(policy).dump()
        self._accuracy_der = _accuracy(accuracy).dump()
        self._tsa_name_der = der.tlv(
            der.context(0),
            asn1_x509.GeneralName(name="directory_name", value=asn1_cert.subject).dump(),
        )
        imprint = tsp.MessageImprint(
            {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": bytes(32)}
        ).dump()
        self._sha256_imprint = imprint[:-32]  # MessageImprint DER up to the 32 digest bytes
        digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        self._digest_algorithms_der = der.tlv(der.SET, digest_algorithm)
        sid = cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value=cms.IssuerAndSerialNumber(
                {"issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}
            ),
        ).dump()
        self._signer_info_head = _INTEGER_1 + sid + digest_algorithm
        signature_algorithm = (
            "sha256_rsa" if self.keystore.algorithm == "rsa-2048" else ("sha256_ecdsa")
        )
        self._signature_algorithm_der = algos.SignedDigestAlgorithm(
            {"algorithm": signature_algorithm}
        ).dump()
        # RFC 3161 §2.4.1 via RFC 5816: the token identifies its signer's certificate with a
        # SigningCertificateV2 (ESSCertIDv2, SHA-256) signed attribute.
        self._static_attributes: tuple[bytes, ...] = (
            _attribute("content_type", "tst_info").dump(),
            _attribute("signing_certificate_v2", as_signing_certificate_v2(asn1_cert)).dump(),
        )

    # -- wire ------------------------------------------------------------------------------

    def respond(self, request_der: bytes) -> bytes:
        """Answer a DER `TimeStampReq` with a DER `TimeStampResp` (granted or rejection)."""
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            _ = request.native  # asn1crypto parses lazily: surface malformed input now
        except Exception:  # any parse failure: the client's request is malformed
            return _rejection("bad_data_format", "the request is not a DER TimeStampReq")
        return self._respond(request)

    def respond_to(self, request: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer a parsed request with a TimeStampResp object (pyHanko's in-process path)."""
        return tsp.TimeStampResp.load(self._respond(request))

    def _respond(self, request: tsp.TimeStampReq) -> bytes:
        try:
            self._check(request)
            token = self._token(request)
        except _Rejection as rejection:
            return _rejection(rejection.failure, rejection.reason)
        except Exception:
            logger.exception("timestamp signing failed")
            return _rejection("system_failure", "the TSA could not sign")
        return der.tlv(der.SEQUENCE, _STATUS_GRANTED + token)

    # -- policy ----------------------------------------------------------------------------

    def _check(self, request: tsp.TimeStampReq) -> None:
        try:
            version = request["version"].native
            algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
            hashed = request["message_imprint"]["hashed_message"].native
            policy = request["req_policy"].native
            extensions = request["extensions"].native
        except Exception as exc:  # malformed content inside a valid envelope
            raise _Rejection("bad_data_format", "the request is malformed") from exc
        if version != "v1":  # RFC 3161 §2.4.1: version INTEGER { v1(1) }
            raise _Rejection("bad_request", f"unsupported request version {version}")
        if algorithm not in _ACCEPTED_DIGESTS:
            raise _Rejection("bad_alg", f"unsupported hash algorithm {algorithm}")
        if not isinstance(hashed, bytes) or len(hashed) != _ACCEPTED_DIGESTS[algorithm]:
            raise _Rejection("bad_data_format", f"the {algorithm} imprint has the wrong length")
        if policy is not None and policy != self.policy:
            raise _Rejection("unaccepted_policy", f"this TSA only issues under {self.policy}")
        if extensions:  # RFC 3161 §2.4.1: unknown extensions MUST be refused
            raise _Rejection("unaccepted_extensions", "this TSA supports no request extensions")
        now = self._clock()
        cert = self.certificate
        if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            raise _Rejection("time_not_available", "the TSA certificate is not valid now")

    # -- token -----------------------------------------------------------------------------

    def token(self, digest: bytes) -> bytes:
        """A DER TimeStampToken over a SHA-256 `digest`, asked for in-process: no request to
        encode and parse, no nonce (nothing travels), the certificates included. Raises
        `SigningError` where `respond` would answer time_not_available."""
        if len(digest) != _ACCEPTED_DIGESTS["sha256"]:
            raise ValueError("a SHA-256 digest is 32 bytes")
        now = self._clock()
        cert = self.certificate
        if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            raise SigningError("the TSA certificate is not valid now")
        return self._token_der(self._sha256_imprint + digest, None, cert_req=True)

    def _token(self, request: tsp.TimeStampReq) -> bytes:
        """The TimeStampToken: a CMS ContentInfo/SignedData over a TSTInfo (RFC 3161 §2.4.2)."""
        return self._token_der(
            request["message_imprint"].dump(),  # echoed as received
            request["nonce"].native,
            cert_req=bool(request["cert_req"].native),
        )

    def _token_der(self, message_imprint: bytes, nonce: int | None, *, cert_req: bool) -> bytes:
        now = self._clock()
        # genTime is UTC; asn1crypto drops trailing zeros of the fraction as §2.4.2 requires.
        # Millisecond precision is finer than the accuracy we state.
        gen_time = now.replace(microsecond=now.microsecond // 1000 * 1000)
        # serialNumber: unique per token, up to 160 bits. 127 random bits need no counter
        # shared between processes and collide with negligible probability.
        serial = secrets.randbits(127) | 1
        tst_info = der.tlv(
            der.SEQUENCE,
            _INTEGER_1  # version v1
            + self._policy_der
            + message_imprint
            + core.Integer(serial).dump()
            + core.GeneralizedTime(gen_time).dump()
            + self._accuracy_der
            # ordering FALSE is the DEFAULT, so DER omits it
            + (core.Integer(nonce).dump() if nonce is not None else b"")  # MUST echo the nonce
            + self._tsa_name_der,
        )
        digest = hashes.Hash(hashes.SHA256())
        digest.update(tst_info)
        attributes = [
            *self._static_attributes,
            der.attribute(_OID_MESSAGE_DIGEST, der.tlv(der.OCTET_STRING, digest.finalize())),
        ]
        # RFC 5652 §5.4: the signature covers the DER SET OF the signed attributes; in the
        # SignerInfo the same content is tagged [0] IMPLICIT.
        signed_attrs = der.set_of(attributes)
        signature = self.keystore.sign(signed_attrs, "sha256")
        signer_info = der.tlv(
            der.SEQUENCE,
            self._signer_info_head
            + der.set_of(attributes, tag=der.context(0))
            + self._signature_algorithm_der
            + der.tlv(_OCTET_STRING, signature),
        )
        signed_data = der.tlv(
            der.SEQUENCE,
            _INTEGER_3  # v3: the encapsulated content is not id-data (RFC 5652 §5.1)
            + self._digest_algorithms_der
            + der.tlv(
                der.SEQUENCE,
                _OID_TST_INFO + der.tlv(der.context(0), der.tlv(_OCTET_STRING, tst_info)),
            )
            # §2.4.1: the certificates field is present if and only if certReq was true
            + (self._certificates_der if cert_req else b"")
            + der.tlv(der.SET, signer_info),
        )
        return der.tlv(der.SEQUENCE, _OID_SIGNED_DATA + der.tlv(der.context(0), signed_data))


def _rejection(failure: str, reason: str) -> bytes:
    response: bytes = _TimeStampResp(
        {
            "status": tsp.PKIStatusInfo(
                {
                    "status": "rejection",
                    "status_string": [reason],
                    "fail_info": tsp.PKIFailureInfo({failure}),
                }
            )
        }
    ).dump()
    return response


_OCTET_STRING = 0x04
_INTEGER_1 = core.Integer(1).dump()
_INTEGER_3 = core.Integer(3).dump()
_OID_TST_INFO = core.ObjectIdentifier("1.2.840.113549.1.9.16.1.4").dump()  # id-ct-TSTInfo
_OID_SIGNED_DATA = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()  # id-signedData
_OID_MESSAGE_DIGEST = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
_STATUS_GRANTED = tsp.PKIStatusInfo({"status": "granted"}).dump()


def _accuracy(accuracy: dt.timedelta) -> tsp.Accuracy:
    micros_total = round(accuracy.total_seconds() * 1_000_000)
    seconds, rest = divmod(micros_total, 1_000_000)
    millis, micros = divmod(rest, 1000)
    fields = {"seconds": seconds}
    if millis:
        fields["millis"] = millis
    if micros:
        fields["micros"] = micros
    return tsp.Accuracy(fields)


class InProcessTimeStamper(TimeStamper):
    """A pyHanko `TimeStamper` that asks a `TimestampAuthority` in this process (no HTTP).

    Reuse one instance: pyHanko obtains one dummy token per digest algorithm to size the
    signature container and caches it on the timestamper.
    """

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self.authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> Any:
        return self.authority.respond_to(req)


def make_timestamper(
    *,
    authority: TimestampAuthority | None = None,
    url: str | None = None,
    timeout: float = 5,
    auth: tuple[str, str] | None = None,
) -> TimeStamper:
    """The timestamp client configured: our in-process authority, or an external TSA URL.

    Exactly one of `authority` and `url` must be given.
    """
    if (authority is None) == (url is None):
        raise ValueError("configure exactly one of an in-process authority and a TSA URL")
    if authority is not None:
        return InProcessTimeStamper(authority)
    return HTTPTimeStamper(url, timeout=timeout, auth=auth)
