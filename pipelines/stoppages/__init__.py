"""Stoppages domain: core model -> stoppage episodes, employee events, signals, pre-filled claims
(`stoppage.*` tables)."""
