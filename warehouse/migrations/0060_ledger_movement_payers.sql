-- The payers the lettrage recognised per bank movement, kept from night to night, so that a
-- night identifies again only the movements that are new or that a changed company may concern
-- (ledgers.store). The movement's debtor IBAN is among its keys: never in the logs.
CREATE TABLE ledger.movement_payers (
    movement_id VARCHAR PRIMARY KEY,
    sirens VARCHAR[],                       -- every company a payer rule recognises
    match_keys VARCHAR[]                    -- what the rules look up (ledgers.allocation.movement_keys)
);
