-- Contribution ledgers (ledgers/ computes them, warehouse/ledgers.py writes them): recomputed
-- whole each night from the core model and the bank staging, so a re-run of the same night
-- with the same files gives the same rows. Amounts are exact decimals; a balance is what the
-- company owes (positive: owed to the insurer, negative: overpaid).
CREATE SCHEMA ledger;

-- What is due per company, contract, population and period (ledgers.calls.CALLS_SCHEMA).
CREATE TABLE ledger.calls (
    call_id VARCHAR PRIMARY KEY,
    call_reference VARCHAR,
    siren VARCHAR,
    organisme_code VARCHAR,
    contract_reference VARCHAR,
    population VARCHAR,
    period_code VARCHAR,
    period_start DATE,
    period_end DATE,
    months_declared UINTEGER,
    months_in_period UINTEGER,
    declared DECIMAL(18, 2),                -- Σ 059: what is due
    expected DECIMAL(18, 2),                -- Σ rate × base; NULL when a base or rate is missing
    gap DECIMAL(18, 2),                     -- declared − expected
    due_date DATE,
    visible_from DATE,                      -- the portal shows the period from this day
    contract_known BOOLEAN                  -- the contract has a parameter file
);

-- The bank movements the lettrage considered (credits and returned direct debits), once each.
CREATE TABLE ledger.movements (
    movement_id VARCHAR PRIMARY KEY,
    file_id VARCHAR,
    line UINTEGER,
    account_iban VARCHAR,
    amount DECIMAL(18, 2),                  -- signed: a return is negative
    value_date DATE,
    booking_date DATE,
    end_to_end_id VARCHAR,
    is_return BOOLEAN
);

-- Bank entries left out of the lettrage (fees, pending entries…) with the reason in French.
CREATE TABLE ledger.ignored_movements (
    movement_id VARCHAR PRIMARY KEY,
    amount DECIMAL(18, 2),
    reason VARCHAR
);

-- Movements delivered more than once (overlapping statements): counted once.
CREATE TABLE ledger.duplicate_movements (
    movement_id VARCHAR PRIMARY KEY,
    copies UINTEGER
);

-- Every allocation row (ledgers.allocation.ALLOCATIONS_SCHEMA) with the rules and the score
-- that chose it. call_id NULL: unallocated credit of the company (siren NULL: payer unknown,
-- suspense account). A returned direct debit adds negative rows reversing the earlier ones.
CREATE TABLE ledger.allocations (
    allocation_id VARCHAR PRIMARY KEY,
    movement_id VARCHAR NOT NULL,
    entry VARCHAR NOT NULL,                 -- affectation, credit_non_affecte, attente, annulation
    siren VARCHAR,
    call_id VARCHAR,
    contract_reference VARCHAR,
    population VARCHAR,
    period_code VARCHAR,
    amount DECIMAL(18, 2),
    date DATE,
    payer_rule VARCHAR,
    amount_rule VARCHAR,
    score UTINYINT,                         -- 0–100
    declared_payment_id VARCHAR,
    reverses_allocation_id VARCHAR
);

-- Money received and on no call: visible credit of the company, or suspense (siren NULL).
CREATE VIEW ledger.unallocated_credit AS
SELECT allocation_id, movement_id, entry, siren, amount, date, payer_rule, score
FROM ledger.allocations
WHERE call_id IS NULL;

-- What the DSNs in force declare paid: one row per S21.G00.55 component of a S21.G00.20
-- payment (ledgers.dsn_inputs.DECLARED_PAYMENTS_SCHEMA), the payment history the company gave.
CREATE TABLE ledger.declared_payments (
    declared_payment_id VARCHAR NOT NULL,   -- <file_id>:<S21.G00.20 instance>
    siren VARCHAR,
    siret VARCHAR,
    month DATE,                             -- the declaration's month
    organisme_code VARCHAR,                 -- 20.001
    iban VARCHAR,                           -- 20.004
    payment_total DECIMAL(18, 2),           -- 20.005
    payment_mode VARCHAR,                   -- 20.010
    payment_date DATE,                      -- 20.011
    contract_reference VARCHAR,             -- 55.003
    population VARCHAR,                     -- 55.002
    period_code VARCHAR,                    -- 55.004
    amount DECIMAL(18, 2)                   -- 55.001, may be negative
);

-- Per call: paid (net of returns) and balance = declared − paid.
CREATE TABLE ledger.call_balances (
    call_id VARCHAR PRIMARY KEY,
    siren VARCHAR,
    contract_reference VARCHAR,
    population VARCHAR,
    period_code VARCHAR,
    due_date DATE,
    declared DECIMAL(18, 2),
    paid DECIMAL(18, 2),
    balance DECIMAL(18, 2)
);

-- The portal's view: per company, contract and period (populations added up); a period the
-- DSNs declare a payment for but no contribution has a row too (declared 0, no due date).
CREATE TABLE ledger.balances (
    siren VARCHAR,
    contract_reference VARCHAR,
    period_code VARCHAR,
    period_start DATE,
    period_end DATE,
    due_date DATE,
    visible_from DATE,
    declared DECIMAL(18, 2),                -- contributions due (Σ 059)
    expected DECIMAL(18, 2),
    paid DECIMAL(18, 2),                    -- bank payments allocated
    balance DECIMAL(18, 2),
    declared_paid DECIMAL(18, 2),           -- what the DSN says was paid (Σ S21.G00.55.001)
    PRIMARY KEY (siren, contract_reference, period_code)
);

-- Per company (siren NULL: the suspense account).
CREATE TABLE ledger.company_balances (
    siren VARCHAR,
    due DECIMAL(18, 2),
    paid DECIMAL(18, 2),
    balance DECIMAL(18, 2),
    unallocated_credit DECIMAL(18, 2),
    net_position DECIMAL(18, 2)             -- balance − unallocated credit
);

-- Where each call stands on the dunning road as of the run date (ledgers.dunning).
CREATE TABLE ledger.dunning (
    call_id VARCHAR PRIMARY KEY,
    siren VARCHAR,
    contract_reference VARCHAR,
    population VARCHAR,
    period_code VARCHAR,
    legal_regime VARCHAR,
    due_date DATE,
    declared DECIMAL(18, 2),
    paid DECIMAL(18, 2),
    outstanding DECIMAL(18, 2),
    days_overdue INTEGER,
    stage VARCHAR,
    stage_label VARCHAR,
    reminder_date DATE,
    notice_date DATE,
    suspension_date DATE,
    termination_date DATE,
    late_fee DECIMAL(18, 2),
    as_of DATE NOT NULL
);

-- Each company's account statement over its whole history (ledgers.statement): an opening
-- line, then calls as debits on their due date and payments as credits on their date.
CREATE TABLE ledger.statement_lines (
    siren VARCHAR NOT NULL,
    line_number UINTEGER NOT NULL,
    date DATE,
    label VARCHAR,
    contract_reference VARCHAR,
    period_code VARCHAR,
    period VARCHAR,
    debit DECIMAL(18, 2),
    credit DECIMAL(18, 2),
    balance DECIMAL(18, 2),                 -- running, after the line
    PRIMARY KEY (siren, line_number)
);
