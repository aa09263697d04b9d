-- The digest of the schema a writer's connection last brought this warehouse up to: its code's
-- migrations and table declarations (warehouse/connections.py). A writer whose code gives the
-- same digest has nothing to apply and reads this one row instead of checking them all.
CREATE TABLE schema_stamp (
    stamp VARCHAR NOT NULL
);
