"""The ledger as OParl 1.1 (read-only): the router `api.oparl.router.router` under /oparl/v1."""
