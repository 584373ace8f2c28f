"""The authority's licence-making, composed from `signing` and `templates`: the PKI and signer
(`authority.py`) and what a licence says and whether it will print (`content.py`).

Below the use cases: the issuance use case itself (claim a job, allocate the USCC, sign, store,
exactly once) is `registration/services/issuance.py`, its loop `registration/workers/`.
"""
