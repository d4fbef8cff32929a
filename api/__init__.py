"""api: the read-only HTTP API (FastAPI) over the projections."""
