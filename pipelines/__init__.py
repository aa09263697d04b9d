"""The nightly pipeline's entry points: the `dsnpipe` commands and the Dagster definitions.

Polars' allocator (jemalloc) hands freed memory back to the system within milliseconds by
default, so the reader's batch-sized buffers are faulted in again for every batch. Keeping
freed pages for ten seconds measured, on a 200 MB lot through `parse_to_parquet`: system time
2.7 -> 1.6 s, wall time about 10 % shorter, peak memory about 60 MB higher. It only takes
effect when set before Polars is first imported, which is why it lives here, where every
command and the Dagster code location start; a value set by the operator wins.
"""

import os

os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:10000")
