"""Licence issuance: from an approved application to a signed, stored licence, exactly once."""
