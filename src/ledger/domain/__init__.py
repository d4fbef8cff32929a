"""The records of the ledger: aggregates, their events and the rules they guard.

Each aggregate keeps the events it has seen as *facts*. Its state at a date is a
pure fold over the facts as they now stand (corrections applied, retractions
removed), so the write side's guards and the read side's projections compute the
same thing from the same function.
"""
