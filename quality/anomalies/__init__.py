"""Affiliation anomalies: the detection frame, the rule catalogue, the register's life cycle and
the steward decisions. The rules themselves live in `quality/affiliation/`."""
