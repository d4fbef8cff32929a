"""`ledger import oparl`: a council information system's OParl 1.1 data into the ledger."""
