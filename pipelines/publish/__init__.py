"""Publish domain: the candidate `portal_v1`, its quality gates, the swap into the serving file,
the analyst exports and the comptes rendus. Thin wrappers around `serving`."""
