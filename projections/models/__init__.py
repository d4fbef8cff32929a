"""The read models, one module each: its table, its fold to a row, its queries, its
document (`projections.registry` hands them to the engine)."""
