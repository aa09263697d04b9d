-- The comments of every table come from its declaration (warehouse/schema.py): a writer's
-- connection applies them after the migrations, only for the tables whose declaration changed
-- since, which this table remembers by a hash of their comments.
CREATE TABLE table_comments (
    table_name VARCHAR PRIMARY KEY,  -- schema.table
    comments_hash VARCHAR NOT NULL
);
