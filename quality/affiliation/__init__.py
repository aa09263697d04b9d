"""The affiliation register and the affiliation anomaly rules.

- `inputs`: contract parameters and portal exports of the landing directory, into the warehouse;
- `sources`: the warehouse as the rules read it (declarations in force, current employee keys);
- one module per rule family, each rule registered with `@detector("AFF0xx")`: `presence`,
  `contracts`, `identity`, `dependants`, `dates`, `contributions`, `portal`;
- `states`: the state of every employee on every OC contract, and its history;
- `night.run_affiliation_night`: all of it for one night (the Dagster job's one call);
- the tables: `warehouse/migrations/0010_affiliation.sql`.

Importing this package registers every rule with `quality.anomalies.detection`.
"""

from quality.affiliation import (  # noqa: F401  (imported to register their detectors)
    contracts,
    contributions,
    dates,
    dependants,
    identity,
    portal,
    presence,
)
