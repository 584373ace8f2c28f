"""`bizreg sandbox`: the API with known keys, a journal of what each client did, and a graded,
signed conformance report (docs/sandbox.md).

journal.py  every API request as the sandbox saw it (an ASGI recorder), and webhook receipts
grading.py  the scenario's steps judged from the journal and the database (pure)
report.py   the report, signed by the sandbox's own Ed25519 key (compact JWS), and its check
routes.py   /sandbox/v1/…: key, callback URL, webhook receipts, report
setup.py    the sandbox's data directory, client and known keys; the app
"""
