"""HTTP adapter: thin endpoints that parse, call a service, and render.

One module per resource (applications, officers, names, licences, issuance, pki, verify,
clients, attestations, webhooks); `deps.py` the session and caller, `schemas.py` the bodies,
`problems.py` RFC 9457 errors (one handler; `problem_responses` for each route's OpenAPI),
`overload.py` / `limits.py` / `waiting.py` admission, body size and `Prefer: wait`. The edge
every request passes first is `registration/http/`.
"""
