-- A digest of each company's ledger inputs from the core model as of the ledgers' last
-- computation of it (ledgers.store): a company a night marks but whose contributions and
-- declared payments are the same (a signalement, a decision) keeps its ledger.
CREATE TABLE ledger.company_inputs (
    siren VARCHAR PRIMARY KEY,
    input_rows BIGINT NOT NULL,             -- contributions and declared payment components
    fingerprint HUGEINT NOT NULL            -- sum of the rows' hashes: order-free, keeps duplicates
);
