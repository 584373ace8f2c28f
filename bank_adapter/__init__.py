"""bank_adapter."""
