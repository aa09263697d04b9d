"""Ledgers domain: core contributions, declared payments and bank staging -> calls, lettrage,
balances, dunning, statements (`ledger.*` tables)."""
