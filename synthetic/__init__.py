"""A synthetic insurer portfolio: DSN, bank, reference and portal files with a ground truth.

    from synthetic import generate
    summary = generate("landing/", companies=8, employees=150, months=12, seed=1)

Formats of what is written: `synthetic/FORMATS.md`; the ground truth: `synthetic/TRUTH.md`.
"""

from synthetic.generation import Summary, generate

__all__ = ["Summary", "generate"]
