"""A pyHanko `Signer` over our `KeyStore`, producing PAdES CMS signatures quickly.

pyHanko builds the CMS SignedData with asn1crypto, which re-serialises the embedded
certificates and every nested value on each signature — about two thirds of the time of a
B-T signature. For the one shape a licence signature has (detached, SHA-256, CAdES attributes
as ETSI EN 319 142-1 §6.3 requires for PAdES baseline), this signer assembles the DER from
parts encoded once at construction. Any other request (dry runs aside) is handed to pyHanko's
general implementation, so the signer stays correct for uses we did not optimise.

The signature's structure (RFC 5652 §5, ETSI EN 319 122-1 §5 for the attributes):

    ContentInfo { id-signedData, SignedData {
        version 1, digestAlgorithms { sha256 }, encapContentInfo { id-data } (detached),
        certificates [0] { signer, issuing CA, root },
        signerInfos { SignerInfo {
            version 1, sid issuerAndSerialNumber, digestAlgorithm sha256,
            signedAttrs [0] { contentType id-data, messageDigest, signingCertificateV2 },
            signatureAlgorithm, signature,
            unsignedAttrs [1] { signatureTimeStampToken }   (B-T and above)
        } } } }

PAdES forbids the CMS signing-time attribute (the claimed time is the signature dictionary's
/M entry), and needs signing-certificate-v2 so that the signer's certificate cannot be
substituted (EN 319 142-1 §6.3, table 1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing import der
from signing.keystore import KeyStore, max_signature_size

__all__ = ["KeyStoreSigner", "asn1_certificate"]

_OCTET_STRING = 0x04
_INTEGER_1 = core.Integer(1).dump()
_OID_SIGNED_DATA = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()
# id-aa-signatureTimeStampToken (RFC 3161 Appendix A; EN 319 122-1 §5.3)
_OID_SIGNATURE_TIMESTAMP = core.ObjectIdentifier("1.2.840.113549.1.9.16.2.14").dump()
_OID_MESSAGE_DIGEST = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()

TokenSource = Callable[[bytes], Awaitable[bytes]]
"""Returns a DER TimeStampToken over a SHA-256 digest."""


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto view of a `cryptography` certificate (what pyHanko works with)."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _attribute(name: str, value: Any) -> bytes:
    encoded: bytes = cms.CMSAttribute({"type": name, "values": [value]}).dump()
    return encoded


class KeyStoreSigner(Signer):
    """Signs with a `KeyStore` under `signing_cert`; `chain` are the CA certificates above it.

    Immutable after construction and so safe to share between threads.
    """

    def __init__(
        self,
        keystore: KeyStore,
        signing_cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
    ) -> None:
        if signing_cert.public_key() != keystore.public_key:
            raise ValueError("the certificate does not certify the key store's key")
        self.keystore = keystore
        self._asn1_signing_cert = asn1_certificate(signing_cert)
        asn1_chain = [asn1_certificate(c) for c in chain]
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
        registry.register_multiple(asn1_chain)
        super().__init__(
            signing_cert=self._asn1_signing_cert,
            cert_registry=registry,
            embed_roots=True,
        )
        self._max_signature = max_signature_size(keystore.algorithm)
        digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        cert_ders = [signing_cert.public_bytes(serialization.Encoding.DER)] + [
            c.public_bytes(serialization.Encoding.DER) for c in chain
        ]
        self._head = (
            _INTEGER_1  # SignedData version 1: id-data content, only X.509 certificates
            + der.tlv(der.SET, digest_algorithm)
            + der.tlv(der.SEQUENCE, core.ObjectIdentifier("1.2.840.113549.1.7.1").dump())
            + der.set_of(dict.fromkeys(cert_ders), tag=der.context(0))
        )
        sid = cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value=cms.IssuerAndSerialNumber(
                {
                    "issuer": self._asn1_signing_cert.issuer,
                    "serial_number": self._asn1_signing_cert.serial_number,
                }
            ),
        ).dump()
        self._signer_info_head = _INTEGER_1 + sid + digest_algorithm
        mechanism = "sha256_rsa" if keystore.algorithm == "rsa-2048" else "sha256_ecdsa"
        self._signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": mechanism}).dump()
        self._static_attributes = (
            _attribute("content_type", "data"),
            _attribute(
                "signing_certificate_v2", as_signing_certificate_v2(self._asn1_signing_cert)
            ),
        )

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return b"\0" * self._max_signature
        return self.keystore.sign(data, digest_algorithm)

    async def async_sign(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        dry_run: bool = False,
        use_pades: bool = False,
        timestamper: TimeStamper | None = None,
        signed_attr_settings: Any = None,
        is_pdf_sig: bool = True,
        encap_content_info: Any = None,
    ) -> cms.ContentInfo:
        extra_attributes = signed_attr_settings is not None and (
            signed_attr_settings.cades_signed_attrs is not None
            or signed_attr_settings.adobe_revinfo_attr is not None
        )
        if (
            not use_pades
            or not is_pdf_sig
            or encap_content_info is not None
            or digest_algorithm != "sha256"
            or extra_attributes
        ):
            general: cms.ContentInfo = await super().async_sign(
                data_digest,
                digest_algorithm,
                dry_run=dry_run,
                use_pades=use_pades,
                timestamper=timestamper,
                signed_attr_settings=signed_attr_settings,
                is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info,
            )
            return general
        token_source: TokenSource | None = None
        if timestamper is not None:
            if dry_run:
                dummy: bytes = (await timestamper.async_dummy_response("sha256")).dump()

                async def token_source(_: bytes) -> bytes:
                    return dummy
            else:

                async def token_source(digest: bytes) -> bytes:
                    token = await timestamper.async_timestamp(digest, "sha256")
                    encoded: bytes = token.dump()
                    return encoded

        content_info = await self.async_sign_der(data_digest, token_source, dry_run=dry_run)
        loaded: cms.ContentInfo = cms.ContentInfo.load(content_info)
        return loaded

    async def async_sign_der(
        self, data_digest: bytes, timestamp: TokenSource | None, *, dry_run: bool = False
    ) -> bytes:
        """The DER ContentInfo of a PAdES signature (SHA-256) over `data_digest`, with a
        signature timestamp from `timestamp` when given (B-T and up)."""
        attributes = [
            *self._static_attributes,
            der.attribute(_OID_MESSAGE_DIGEST, der.tlv(_OCTET_STRING, data_digest)),
        ]
        # RFC 5652 §5.4: the signature covers the DER SET OF the signed attributes; in the
        # SignerInfo the same content is tagged [0] IMPLICIT.
        signature = await self.async_sign_raw(der.set_of(attributes), "sha256", dry_run)
        unsigned = b""
        if timestamp is not None:
            # The signature timestamp covers the signature value (EN 319 122-1 §5.3).
            digest = hashes.Hash(hashes.SHA256())
            digest.update(signature)
            token = await timestamp(digest.finalize())
            unsigned = der.set_of(
                [der.attribute(_OID_SIGNATURE_TIMESTAMP, token)], tag=der.context(1)
            )
        signer_info = der.tlv(
            der.SEQUENCE,
            self._signer_info_head
            + der.set_of(attributes, tag=der.context(0))
            + self._signature_algorithm
            + der.tlv(_OCTET_STRING, signature)
            + unsigned,
        )
        signed_data = der.tlv(der.SEQUENCE, self._head + der.tlv(der.SET, signer_info))
        return der.tlv(der.SEQUENCE, _OID_SIGNED_DATA + der.tlv(der.context(0), signed_data))
