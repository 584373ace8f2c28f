"""A reference client for banks: every call to bizreg, signed the way the service expects.

Read it, copy it, or use it as is. All it adds to plain HTTP is the RFC 9421 signature:

    from bank_adapter import BizregClient, load_private_key

    with BizregClient(
        "https://bizreg.example.gov.cn",
        client_id="boc-dongguan-nancheng",
        keyid="boc-dongguan-nancheng-t01-2025",
        private_key=load_private_key(open("terminal-key.pem", "rb").read()),
    ) as bizreg:
        app = bizreg.create_application(payload, idempotency_key=str(uuid.uuid4()))
        bizreg.attest(app["id"], attestation_jws)      # one per person to verify
        bizreg.submit(app["id"])

How a request is signed (see `bank_adapter.http_signatures`):

1. The request is built first, so we sign the exact URL and body bytes that will be sent.
2. With a body: `Content-Digest: sha-256=:…:` over those bytes (RFC 9530).
3. `Signature-Input` covers `@method`, `@target-uri`, plus `content-digest` and
   `content-type` when there is a body and `idempotency-key` when one is sent; parameters
   `created` (now), a fresh random `nonce`, `keyid` and `alg`. GETs are signed too.
4. `Signature` is Ed25519, or ECDSA P-256 as raw r||s (RFC 9421 §3.3.4), never DER.

Because of the nonce, a signed request cannot be sent twice: to retry, call the method
again (a new signature) with the same `idempotency_key`; the service answers a retried create
with the original response. The terminal's clock must be within a minute of the service's.

Errors come back as RFC 9457 problem details; the client raises `BizregApiError` carrying
the problem's stable `code`. An overloaded service answers 503 (or 429) with `Retry-After`
before doing anything; the client waits that long and sends the request again, newly signed,
for up to `overload_patience` seconds in all.

To learn when an application moves on (its licence is issued, an officer returns it), call
`wait_for_change`: one request that the service holds open until the status changes
(`Prefer: wait`, RFC 7240), instead of polling.
"""

from __future__ import annotations

import json
import random
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote, urlencode

import httpx

from bank_adapter.http_signatures import sign_request
from bank_adapter.keys import PrivateKey, SignatureAlgorithm, signature_algorithm_for

__all__ = ["BizregApiError", "BizregClient"]

API_PREFIX: Final = "/api/v1"
USER_AGENT: Final = "bizreg-reference-client/1"
# Longest Retry-After the client sleeps through; beyond it the 503 is raised to the caller.
MAX_RETRY_AFTER_SECONDS: Final = 30
_REMEMBERED: Final = 256


class BizregApiError(Exception):
    """The service refused a request; `code` is the problem's stable machine-readable code."""

    def __init__(self, status_code: int, problem: Mapping[str, Any]) -> None:
        self.status_code = status_code
        self.problem: dict[str, Any] = dict(problem)
        code = problem.get("code")
        self.code: str | None = code if isinstance(code, str) else None
        detail = problem.get("detail") or problem.get("title") or "request failed"
        super().__init__(f"{status_code} {self.code or 'error'}: {detail}")


class BizregClient:
    """Signed calls to the bizreg API for one terminal key."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        keyid: str,
        private_key: PrivateKey,
        alg: SignatureAlgorithm | None = None,
        http: httpx.Client | None = None,
        overload_patience: float = 60.0,
    ) -> None:
        """`keyid` names the registered public key; `alg` defaults to the key's algorithm.

        `client_id` identifies the bank's integration in the User-Agent, for the service's
        logs; authentication rests on `keyid` and the signature alone. Pass your own
        `httpx.Client` for proxies, timeouts, mTLS or tests (`httpx.MockTransport`).
        """
        key_alg = signature_algorithm_for(private_key)
        if alg is not None and alg != key_alg:
            raise ValueError(f"alg {alg!r} does not match the key ({key_alg})")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.keyid = keyid
        self.alg: SignatureAlgorithm = key_alg
        self._key = private_key
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=30.0)
        self.overload_patience = overload_patience
        # The last representation and ETag seen per application, for `wait_for_change`.
        self._seen: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()

    # --- the API --------------------------------------------------------------------------

    def create_application(
        self,
        payload: Mapping[str, Any],
        idempotency_key: str,
        client_reference: str | None = None,
    ) -> dict[str, Any]:
        """POST /applications: create a draft from a payload shaped like examples/*.json;
        `client_reference`, the bank's own case number, lets it find the application again
        (`find_by_reference`) even if the response is lost."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        query = (
            ""
            if client_reference is None
            else "?" + urlencode({"client_reference": client_reference})
        )
        return self._json(
            "POST",
            f"/applications{query}",
            body=body,
            content_type="application/json",
            idempotency_key=idempotency_key,
        )

    def submit(self, app_id: str, idempotency_key: str | None = None) -> dict[str, Any]:
        """POST /applications/{id}/submit: run the automatic checks (instant path if eligible)."""
        return self._json(
            "POST", f"/applications/{_segment(app_id)}/submit", idempotency_key=idempotency_key
        )

    def find_by_reference(self, client_reference: str) -> dict[str, Any] | None:
        """GET /applications?client_reference=: this client's application under that reference."""
        query = urlencode({"client_reference": client_reference})
        response = self._send("GET", f"/applications?{query}")
        rows = response.json()
        if response.status_code != 200 or not isinstance(rows, list):
            raise BizregApiError(response.status_code, rows if isinstance(rows, dict) else {})
        return rows[0] if rows else None

    def preflight(self, app_id: str) -> dict[str, Any]:
        """POST /applications/{id}/preflight: every submission check, nothing changed; the
        predicted path (instant or manual), the problems, the expected time to licence."""
        return self._json("POST", f"/applications/{_segment(app_id)}/preflight")

    def requirements(
        self, channel: str, company_type: str | None = None, scope: Sequence[str] = ()
    ) -> dict[str, Any]:
        """GET /requirements: what a case of this kind needs, and whether it can be instant."""
        query = urlencode(
            [("channel", channel)]
            + ([("company_type", company_type)] if company_type else [])
            + [("scope", item) for item in scope]
        )
        return self._json("GET", f"/requirements?{query}")

    def attest(
        self, app_id: str, attestation_jws: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """POST /applications/{id}/attestations: the compact JWS, as `application/jose`.

        RFC 7515 §9.2.1 registers `application/jose` for the compact serialization.
        """
        return self._json(
            "POST",
            f"/applications/{_segment(app_id)}/attestations",
            body=attestation_jws.strip().encode("ascii"),
            content_type="application/jose",
            idempotency_key=idempotency_key,
        )

    def get_application(self, app_id: str) -> dict[str, Any]:
        """GET /applications/{id}: status and content of an application this terminal made."""
        return self._json("GET", f"/applications/{_segment(app_id)}")

    def wait_for_change(self, app_id: str, seconds: int = 25) -> dict[str, Any]:
        """The application once it differs from the version this client last saw (or from
        its state when the request arrives), or as it is after `seconds`: one long-held GET
        with `Prefer: wait` and `If-None-Match`, instead of polling."""
        headers = {"Prefer": f"wait={seconds}"}
        seen = self._seen.get(app_id)
        if seen is not None:
            headers["If-None-Match"] = seen[0]
        response = self._send(
            "GET",
            f"/applications/{_segment(app_id)}",
            extra_headers=headers,
            timeout=seconds + 15.0,
        )
        if response.status_code == 304 and seen is not None:
            return seen[1]
        return self._decoded(response)

    def get_licence_pdf(self, uscc: str) -> bytes:
        """GET /licences/{uscc}/pdf: the signed licence PDF (verify it with any PAdES tool)."""
        response = self._send("GET", f"/licences/{_segment(uscc)}/pdf", accept="application/pdf")
        return response.content

    # --- plumbing -------------------------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        response = self._send(
            method, path, body=body, content_type=content_type, idempotency_key=idempotency_key
        )
        return self._decoded(response)

    def _decoded(self, response: httpx.Response) -> dict[str, Any]:
        decoded = response.json()
        if not isinstance(decoded, dict):
            raise BizregApiError(response.status_code, {"detail": "expected a JSON object"})
        etag = response.headers.get("ETag")
        if etag and isinstance(decoded.get("id"), str):
            self._seen[decoded["id"]] = (etag, decoded)
            self._seen.move_to_end(decoded["id"])
            while len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
        return decoded

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        idempotency_key: str | None = None,
        accept: str = "application/json",
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        give_up_at = time.monotonic() + self.overload_patience
        while True:
            response = self._send_once(
                method,
                path,
                body=body,
                content_type=content_type,
                idempotency_key=idempotency_key,
                accept=accept,
                extra_headers=extra_headers,
                timeout=timeout,
            )
            retry_after = _retry_after(response)
            if retry_after is None:
                break
            # Refused before anything ran: the same request, signed anew, is safe to send.
            # Jitter spreads a fleet refused at the same moment over the next interval.
            delay = retry_after * (1 + random.random())  # noqa: S311 - not a secret
            if time.monotonic() + delay > give_up_at:
                break
            time.sleep(delay)
        if response.is_error:
            raise BizregApiError(response.status_code, _problem(response))
        return response

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        body: bytes,
        content_type: str | None,
        idempotency_key: str | None,
        accept: str,
        extra_headers: Mapping[str, str] | None,
        timeout: float | None,
    ) -> httpx.Response:
        headers = {"Accept": accept, "User-Agent": f"{USER_AGENT} ({self.client_id})"}
        headers.update(extra_headers or {})
        covered: list[str] = []
        if body and content_type:
            headers["Content-Type"] = content_type
            covered.append("content-type")
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
            covered.append("idempotency-key")
        request = self._http.build_request(
            method,
            self.base_url + API_PREFIX + path,
            content=body or None,
            headers=headers,
        )
        if timeout is not None:  # a held `Prefer: wait` request outlives the usual timeout
            request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
        # Sign what httpx will actually put on the wire: its normalised URL, our bytes.
        request.headers.update(
            sign_request(
                request.method,
                str(request.url),
                headers,
                body,
                key=self._key,
                keyid=self.keyid,
                covered_fields=covered,
            )
        )
        return self._http.send(request)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _segment(value: str) -> str:
    # An id is one path segment: "/" or "?" in it must not change which resource we sign for.
    return quote(value, safe="")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait before resending, for an overload refusal (503/429) that names them."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("Retry-After", "")
    if not value.isdigit() or int(value) > MAX_RETRY_AFTER_SECONDS:
        return None
    return float(value)


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        decoded = response.json()
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        return decoded
    return {"detail": response.text[:500] or response.reason_phrase}
