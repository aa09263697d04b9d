"""The affiliation register and the affiliation anomaly rules.

- `sources`: the warehouse as the rules read it (declarations in force, current employee keys);
- one module per rule family: `presence`, `contracts`, `identity`, `dependants`, `dates`,
  `contributions`, `portal`; `rules.AFFILIATION_RULES` lists them all by catalogue code;
- `states`: the state of every employee on every OC contract, and its history; `store` writes it;
- `night.run_affiliation_night`: all of it for one night (the Dagster job's one call);
- the tables: `warehouse/migrations/0010_affiliation.sql`.
"""
