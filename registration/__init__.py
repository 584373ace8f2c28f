"""bizreg: company registration service."""
