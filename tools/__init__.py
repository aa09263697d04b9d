"""Tools run by hand, outside the night and the suite."""
