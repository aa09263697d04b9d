-- A contract without parameter file: its periods' due dates and expected amounts are the
-- pipeline's guess and its dunning stops at the information stage (ledgers.dunning).
ALTER TABLE ledger.balances ADD COLUMN provisional BOOLEAN;
ALTER TABLE ledger.dunning ADD COLUMN provisional BOOLEAN;
