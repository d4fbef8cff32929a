"""The read side's engine: bitemporal rows, folding, the projector and its fold worker,
bulk writes, checkpointing, generations and snapshots, the as-of lookup.

It knows no read model (an import-linter contract in pyproject.toml keeps it so): whoever
opens a read side passes its models in, as a `schema.Catalog`.
"""
