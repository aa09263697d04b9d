"""The DuckDB warehouse: file registry, staging tables, core model, migrations."""
