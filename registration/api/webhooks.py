"""The authority's webhook keys, published for banks to verify webhook signatures: the current
key first, then keys replaced by a rotation and not yet retired (their deliveries draining)."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Response

from registration.api.deps import SettingsDep
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.errors import KeyNotFound, PayloadInvalid
from registration.services import webhooks

JWK_SET = "application/jwk-set+json"  # RFC 7517 §8.5.1


router = APIRouter(
    prefix="/api/v1/webhooks", tags=["webhooks"], responses=problem_responses(*OVERLOAD_ERRORS)
)


@router.get("/keys", response_class=Response)
def webhook_keys(settings: SettingsDep) -> Response:
    """The JWK Set of the webhook keys (RFC 9421 `keyid` = the JWK `kid`): the current key
    first, then replaced keys still draining. A bank that meets an unknown kid fetches it
    again (it may have been cached before a rotation)."""
    keys = webhooks.published_keys(settings.webhook_key_path)
    return Response(
        json.dumps({"keys": [webhooks.jwk_of(public, kid) for kid, public in keys]}),
        media_type=JWK_SET,
        # Short: after a rotation, banks must learn the new kid quickly.
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get(
    "/keys/{kid}.pem",
    response_class=Response,
    responses=problem_responses(KeyNotFound, PayloadInvalid),
)
def webhook_key_pem(kid: str, settings: SettingsDep) -> Response:
    """A published key as PEM SubjectPublicKeyInfo, for tools that prefer it."""
    for published, public in webhooks.published_keys(settings.webhook_key_path):
        if published == kid:
            pem = public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return Response(pem, media_type="application/x-pem-file")
    raise KeyNotFound(f"no webhook key {kid!r}")
