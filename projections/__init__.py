"""projections: the read side — read-model tables, the projector, and as-of queries."""
