"""The publish step: quality gates, the serving snapshot `portal_v1` swapped atomically, the
analyst exports with pseudonymised employees, the comptes rendus per declaration.

- `spec` / `tables`: what a portal table is, and every table (one entry each);
- `snapshot`: the night's candidate file (named by its night id) built from the warehouse, and
  the atomic swap;
- `gates` / `data_docs`: the quality gates judged in DuckDB (companies failing theirs held
  back), and Great Expectations' Data Docs of the same candidate, built in a child process;
- `history`: gates, counts and each step of every publication, recorded before it happens, and
  the next night's reconciliation with the served file, in the warehouse (`publish.*`);
- `night`: the night's id, the analyst exports when a key is at hand, `portal_summary`
  (the steps run one by one by the Dagster assets of `pipelines.publish`);
- `analyst` + `pseudonym`: Parquet exports by month with a keyed pseudonym of the NIR;
- `employees_excel`: a company's employees list as Excel, from the serving file;
- `comptes_rendus`: one JSON file per declaration for the company;
- `contract`: the committed contract of `portal_v1` and its reference page.
"""
