"""The authority's published trust material and its RFC 3161 timestamp service.

Certificates point here (AIA caIssuers, CRL distribution points), so verifiers anywhere can
build and check the chain without an account.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Request, Response

import signing
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.errors import (
    CaNotFound,
    CrlUnavailable,
    PayloadInvalid,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from registration.issuance.authority import LicenceAuthority
from signing import TIMESTAMP_QUERY_CONTENT_TYPE, TIMESTAMP_REPLY_CONTENT_TYPE

router = APIRouter(tags=["pki"], responses=problem_responses(*OVERLOAD_ERRORS))
MAX_TIMESTAMP_QUERY_BYTES = 16 * 1024
_PEM = "application/x-pem-file"
_CACHE = {"Cache-Control": "public, max-age=300"}


def _authority(request: Request) -> LicenceAuthority:
    authority: LicenceAuthority = request.app.state.authority
    authority.follow_pki()  # a rollover made by another process is published at once
    return authority


@router.get("/pki/root.pem", response_class=Response)
def root_certificate(request: Request) -> Response:
    pem = _authority(request).pki.root_certificate.public_bytes(serialization.Encoding.PEM)
    return Response(pem, media_type=_PEM, headers=_CACHE)


@router.get("/pki/roots.pem", response_class=Response)
def root_certificates(request: Request) -> Response:
    """Every root of the authority, the current one first: after a root rollover, what a
    relying party trusts to verify licences signed under the old root and the new."""
    return Response(_authority(request).pki.trust_pem(), media_type=_PEM, headers=_CACHE)


@router.get("/pki/cross.pem", response_class=Response)
def cross_certificates(request: Request) -> Response:
    """The cross-certificates between successive roots (RFC 4210 §4.4), both ways; empty
    before a first root rollover."""
    pem = b"".join(
        cert.public_bytes(serialization.Encoding.PEM)
        for cert in _authority(request).pki.cross_certificates
    )
    return Response(pem, media_type=_PEM, headers=_CACHE)


@router.get("/pki/issuing.pem", response_class=Response)
def issuing_certificate(request: Request) -> Response:
    pem = _authority(request).pki.issuing_certificate.public_bytes(serialization.Encoding.PEM)
    return Response(pem, media_type=_PEM, headers=_CACHE)


def _crl(read: Callable[[], bytes]) -> Response:
    try:
        der = read()
    except signing.CrlUnavailable as error:
        # Ours to fix, not a verdict: relying parties retry (the last CRL has lapsed).
        raise CrlUnavailable(str(error), retry_after=60) from None
    return Response(der, media_type="application/pkix-crl")


@router.get("/pki/crl", response_class=Response, responses=problem_responses(CrlUnavailable))
def issuing_crl(request: Request) -> Response:
    """The issuing CA's CRL (DER), covering licence-signing and timestamping certificates. A
    CRL that falls due and cannot be re-issued is served until its nextUpdate."""
    return _crl(_authority(request).pki.current_crl_der)


@router.get("/pki/root-crl", response_class=Response, responses=problem_responses(CrlUnavailable))
def root_crl(request: Request) -> Response:
    return _crl(_authority(request).pki.root_crl_der)


@router.get("/pki/crls.pem", response_class=Response, responses=problem_responses(CrlUnavailable))
def all_crls(request: Request) -> Response:
    """Every current CRL of the hierarchy in one PEM file: the issuing CA's, the root's, and
    those of retired issuing CAs, which still answer for the certificates they issued."""
    try:
        crls = _authority(request).pki.crls_der()
    except signing.CrlUnavailable as error:
        raise CrlUnavailable(str(error), retry_after=60) from None
    pem = b"".join(
        x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM) for der in crls
    )
    return Response(pem, media_type=_PEM)


def _ca(request: Request, serial: str) -> tuple[x509.Certificate, Callable[[], bytes]]:
    try:
        return _authority(request).pki.ca(serial)
    except LookupError:
        raise CaNotFound(f"no CA with serial number {serial[:40]} here") from None


@router.get(
    "/pki/ca/{serial}.pem",
    response_class=Response,
    responses=problem_responses(CaNotFound, PayloadInvalid),
)
def ca_certificate(request: Request, serial: str) -> Response:
    """A CA's certificate (issuing CA or root), current or retired: what the AIA of the
    certificates it issued names."""
    cert, _ = _ca(request, serial)
    return Response(cert.public_bytes(serialization.Encoding.PEM), media_type=_PEM, headers=_CACHE)


@router.get(
    "/pki/ca/{serial}.crl",
    response_class=Response,
    responses=problem_responses(CaNotFound, CrlUnavailable, PayloadInvalid),
)
def ca_crl(request: Request, serial: str) -> Response:
    """A CA's current CRL (DER), current or retired: what the CRL distribution point of the
    certificates it issued names, so a revocation is found after a rollover too."""
    _, read = _ca(request, serial)
    return _crl(read)


@router.post(
    "/tsa",
    response_class=Response,
    responses=problem_responses(UnsupportedMediaType, PayloadTooLarge),
)
async def timestamp(request: Request) -> Response:
    """RFC 3161 over HTTP (RFC 3161 §3.4): a DER TimeStampReq in, a TimeStampResp out."""
    if (
        request.headers.get("content-type", "").split(";")[0].strip()
        != TIMESTAMP_QUERY_CONTENT_TYPE
    ):
        raise UnsupportedMediaType(f"send the request as {TIMESTAMP_QUERY_CONTENT_TYPE}")
    body = await request.body()
    if len(body) > MAX_TIMESTAMP_QUERY_BYTES:
        raise PayloadTooLarge(f"timestamp queries are limited to {MAX_TIMESTAMP_QUERY_BYTES} bytes")
    reply = _authority(request).tsa.respond(body)
    return Response(reply, media_type=TIMESTAMP_REPLY_CONTENT_TYPE)
