"""The authority's webhook key, published for banks to verify webhook signatures."""

from __future__ import annotations

import json

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
    """The JWK Set whose key signs every webhook (RFC 9421 `keyid` = the JWK `kid`)."""
    key = webhooks.webhook_key(settings.webhook_key_path)
    return Response(
        json.dumps({"keys": [key.jwk()]}),
        media_type=JWK_SET,
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get(
    "/keys/{kid}.pem",
    response_class=Response,
    responses=problem_responses(KeyNotFound, PayloadInvalid),
)
def webhook_key_pem(kid: str, settings: SettingsDep) -> Response:
    """The same public key as PEM SubjectPublicKeyInfo, for tools that prefer it."""
    key = webhooks.webhook_key(settings.webhook_key_path)
    if kid != key.keyid:
        raise KeyNotFound(f"no webhook key {kid!r}")
    return Response(key.public_pem(), media_type="application/x-pem-file")
