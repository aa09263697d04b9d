-- What the portal details of each call, summed with the call from its contributions
-- (ledgers.calls) rather than from every contribution again when the portal is built. A
-- warehouse migrated here recomputes its ledgers whole on its next night (their code changed).
ALTER TABLE ledger.calls ADD COLUMN employees UINTEGER;
ALTER TABLE ledger.calls ADD COLUMN base_tranche_a DECIMAL(18, 2);
ALTER TABLE ledger.calls ADD COLUMN base_tranche_b DECIMAL(18, 2);
ALTER TABLE ledger.calls ADD COLUMN base_pmss DECIMAL(18, 2);
