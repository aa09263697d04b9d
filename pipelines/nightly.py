"""Every asset and check of the nightly job, in one place: `definitions.py` (Dagster) and
`dsnpipe run` (in process) both read these lists, so adding a domain is one line here."""

from pipelines.affiliation.assets import AFFILIATION_ASSETS
from pipelines.affiliation.checks import AFFILIATION_CHECKS
from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.ingestion.checks import INGESTION_CHECKS
from pipelines.ledgers.assets import LEDGER_ASSETS
from pipelines.ledgers.checks import LEDGER_CHECKS
from pipelines.publish.assets import PUBLISH_ASSETS
from pipelines.publish.checks import PUBLISH_CHECKS
from pipelines.stoppages.assets import STOPPAGE_ASSETS
from pipelines.stoppages.checks import STOPPAGE_CHECKS

NIGHTLY_ASSETS = [
    *INGESTION_ASSETS,
    *AFFILIATION_ASSETS,
    *STOPPAGE_ASSETS,
    *LEDGER_ASSETS,
    *PUBLISH_ASSETS,
]
NIGHTLY_CHECKS = [
    *INGESTION_CHECKS,
    *AFFILIATION_CHECKS,
    *STOPPAGE_CHECKS,
    *LEDGER_CHECKS,
    *PUBLISH_CHECKS,
]
