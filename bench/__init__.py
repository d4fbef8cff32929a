"""The benchmark of the ledger: generated histories, figures beside baselines, RESULTS.md."""
