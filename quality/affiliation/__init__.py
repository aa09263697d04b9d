"""The affiliation register (`states`) and the affiliation anomaly rules, one module per
family; importing this package registers every rule with `quality.anomalies.detection`."""

from quality.affiliation import (  # noqa: F401  (imported to register their detectors)
    contracts,
    contributions,
    dates,
    dependants,
    identity,
    portal,
    presence,
)
