"""Files the pipeline writes hold personal data (NIR, names, IBAN): the warehouse, the serving
file and its candidate, reports, quarantine copies, exports, comptes rendus, decisions. Setting
the process umask at the entry points makes every one of them owner-only (0600 files, 0700
directories) whichever library creates it, DuckDB and the Excel and Parquet writers included,
and a rename keeps that mode. `DSNPIPE_UMASK` (octal, e.g. 027 to let a group read) changes it.
"""

from __future__ import annotations

import os

UMASK_VARIABLE = "DSNPIPE_UMASK"
DEFAULT_UMASK = 0o077


def restrict_file_modes() -> int:
    """Set the process umask from the environment (default 077); return the one set."""
    configured = os.environ.get(UMASK_VARIABLE, "").strip()
    try:
        umask = int(configured, 8) if configured else DEFAULT_UMASK
    except ValueError:
        umask = -1
    if not 0 <= umask <= 0o777:
        raise ValueError(
            f"{UMASK_VARIABLE} invalide ({configured!r}) : attendu un masque octal "
            "comme 077 ou 027."
        )
    os.umask(umask)
    return umask
