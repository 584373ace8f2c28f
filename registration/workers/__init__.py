"""Background work beside the API: licence issuance and webhook delivery.

issuance.py   the issuance loop (`IssuanceWorker`): `bizreg worker`, a test app's thread
processes.py  `bizreg serve`'s issuance processes, supervised
webhooks.py   webhook delivery and the purge of expired nonces and idempotency records
"""
