"""projections: the read side — read-model tables, the projector, and as-of queries.

- `projections.engine`: the generic machinery, which knows no read model: bitemporal rows
  and their fold (`bitemporal`, `records`), the projector and its fold worker, bulk
  writes, generations and snapshots (`store`, `schema`), the as-of lookup (`visible`).
- `projections.models`: one module per read model (its table, its fold to a row, its
  queries, its document), and `visibility`, the one rule of what anonymous readers see.
- `projections.registry`: hands this ledger's read models to the engine (`CATALOG`,
  `ReadModel`, `Projector`, `catch_up`).
- `projections.queries`: the queries the API, the CLI and the benchmarks call.
- `projections.cli`, `projections.reconciliation_cli`: the read side's `ledger` commands.
"""
