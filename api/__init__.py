"""FastAPI service over the indexed ledger: stations, balances, reports, credits, settlement
and provenance traces."""
