"""The insurer's own files as the pipeline reads them: the contract-parameter files and the PMSS
table of `reference/` (`contracts.parameters`), the company portal's exports of `portal/`
(`contracts.portal_exports`). `warehouse.reference` loads them into the warehouse once a night."""
