-- The analysts' copy fingerprinted per table, company and month (serving/analyst.py): a late
-- declaration rewrites the month it brings, not every row of its company. Rows kept from
-- before have no month: the first night after compares unequal and rewrites them once.
ALTER TABLE publish.analyst_copy_fingerprints ADD COLUMN month DATE;
