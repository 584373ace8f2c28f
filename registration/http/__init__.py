"""The HTTP edge every request passes before an endpoint runs, and every problem after it.

signatures.py    RFC 9421 signed-request authentication (`get_principal`'s signature path):
                 target URI, key lookup, nonces in the database
exchange.py      ASGI middleware keeping the raw body (digests, fingerprints) and storing
                 idempotent responses; the replay handler
idempotency.py   claim / mark committed / complete / release of `Idempotency-Key`s
localisation.py  problem titles and details by `Accept-Language`
                 (`data/problem_messages.json`)

The decisions behind them are in docs/terminal-protocol-internals.md.
"""
