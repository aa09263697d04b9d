"""Where the publish step writes: the serving file, the exports, the comptes rendus, GX's Data
Docs; by default beside the warehouse (`publish_resources`)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from serving.night import PublishPaths


class PublishResource(dg.ConfigurableResource):
    serving_path: str
    exports_dir: str
    comptes_rendus_dir: str
    data_docs_dir: str
    demo_key_file: str | None = None  # demonstration only: see serving.pseudonym

    def paths(self, warehouse_path: str) -> PublishPaths:
        return PublishPaths(
            warehouse=Path(warehouse_path),
            serving=Path(self.serving_path),
            exports=Path(self.exports_dir),
            comptes_rendus=Path(self.comptes_rendus_dir),
            data_docs=Path(self.data_docs_dir),
            demo_key_file=Path(self.demo_key_file) if self.demo_key_file else None,
        )


def publish_resources(
    warehouse_path: Path,
    serving_path: Path | None = None,
    exports_dir: Path | None = None,
    *,
    demo_key: bool = False,
) -> dict[str, object]:
    """The `publish` resource to add to the pipeline's resources."""
    paths = PublishPaths.beside(warehouse_path, serving_path, exports_dir, demo_key=demo_key)
    return {
        "publish": PublishResource(
            serving_path=str(paths.serving),
            exports_dir=str(paths.exports),
            comptes_rendus_dir=str(paths.comptes_rendus),
            data_docs_dir=str(paths.data_docs),
            demo_key_file=str(paths.demo_key_file) if paths.demo_key_file else None,
        )
    }
