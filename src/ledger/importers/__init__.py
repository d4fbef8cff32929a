"""Imports of the treasury's CSV exports (budget, bookings) into command batches."""
