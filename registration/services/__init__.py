"""Use cases: one function per action, one transaction per use case.

applications  create, edit, documents, every workflow action (submission checks, outbox)
queues        the front desk's and back offices' work queues
names         reservation and holding of company names
uscc          unified social credit code allocation
unique        rows under a unique key: a lost race is a Conflict
issuance      an approved application's licence: claim the job, allocate, sign, store
licences      status (revoke, supersede), amendments, downloads
accounts      officers, bearer tokens
clients       the client registry: clients, keys, callback URLs
attestations  banks' identity attestations
webhooks      the status-change outbox and its signed delivery
verification  the registry side of licence verification
"""

# Registers the transparency log's session listeners: every use case's events get their leaves.
from registration.services import ledger as ledger
