"""ESS Ledger core: compile, deploy, contract clients, transactions, indexing and the rules."""
