"""Bank terminals and remote channels (issue 7): the application side of `bank_adapter`.

Client registry and keys, RFC 9421 request authentication with replay protection in the
database, `Idempotency-Key`, identity attestations, the webhook outbox and its delivery,
localised problem messages, and the `bizreg client` / `bizreg terminal` commands. The module
map, the decisions and the measured overhead are in README.md beside this file.
"""
