"""Affiliation domain: contract parameters, portal exports and the core model -> anomaly register
(steward decisions first), affiliation states, the steward report."""
