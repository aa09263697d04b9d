-- The closes of writers' connections that left their rows' row groups unmerged
-- (warehouse/connections.py): merging rewrites each touched table's last, partly filled row
-- group, however few rows a night appended, so small nights put it off until this table holds
-- enough of them; the close that merges them all empties it.
CREATE TABLE deferred_merges (
    closed_at TIMESTAMP NOT NULL
);
