"""Where the publish step writes: the serving file, the exports, the comptes rendus, GX's Data
Docs (by default beside the warehouse: `pipelines.settings`), and which variable holds the
analysts' pseudonym secret."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.settings import pseudonym_secret
from serving.data_docs import DataDocsDisagreeError, wait_for_data_docs


class PublishResource(dg.ConfigurableResource):
    serving_path: str
    exports_dir: str
    analyst_warehouse_path: str
    comptes_rendus_dir: str
    data_docs_dir: str
    data_docs_site: bool = True  # False: the site is not built (`Settings.data_docs_site`)
    demo_key_file: str | None = None  # demonstration only: see serving.pseudonym
    pseudonym_key_variable: str  # the variable's name: the secret stays out of the config

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        # After the run's last step: the gates' Data Docs, built while the steps after them ran.
        try:
            wait_for_data_docs()
        except DataDocsDisagreeError as disagreement:  # the site is built, the gates' SQL is wrong
            if context.log is not None:
                context.log.error(str(disagreement))
        except Exception as failure:  # documentation only: the night stands, the operators are told
            if context.log is not None:
                context.log.warning(
                    "Documentation des contrôles (Data Docs) non construite : "
                    f"{type(failure).__name__}"
                )

    @property
    def serving(self) -> Path:
        return Path(self.serving_path)

    @property
    def exports(self) -> Path:
        return Path(self.exports_dir)

    @property
    def analyst_warehouse(self) -> Path:
        return Path(self.analyst_warehouse_path)

    @property
    def comptes_rendus(self) -> Path:
        return Path(self.comptes_rendus_dir)

    @property
    def data_docs(self) -> Path | None:
        """Where tonight's Data Docs site is built; None when it is not."""
        return Path(self.data_docs_dir) if self.data_docs_site else None

    @property
    def data_docs_retired(self) -> Path | None:
        """Where a site built before the Data Docs were switched off stands; None when on."""
        return None if self.data_docs_site else Path(self.data_docs_dir)

    def pseudonym_secret(self) -> str | None:
        return pseudonym_secret(self.pseudonym_key_variable)

    @property
    def demo_key(self) -> Path | None:
        return Path(self.demo_key_file) if self.demo_key_file else None
