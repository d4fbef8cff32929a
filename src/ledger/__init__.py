"""ledger: the write side of the audit ledger (domain, commands, store, chain, CLI)."""
