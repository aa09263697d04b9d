-- What the ledgers read of the contracts as of their last night (ledgers.store): the lettrage's
-- keys (mandates, company SIRENs and names, collection accounts) with what each gives, and each
-- contract's terms digest, so that a night finds which keys and contracts a reference load
-- changed instead of recomputing every company.
CREATE TABLE ledger.contract_keys (
    key VARCHAR NOT NULL,                   -- mandate:…, siren:…, name:…, account:…, terms:…
    value VARCHAR NOT NULL,                 -- what the book finds under it; a contract's digest
    PRIMARY KEY (key, value)
);
