"""Scale measures of issue 20 (README.md)."""
