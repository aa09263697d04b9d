"""The insurer's contract reference data as the pipeline reads it: the contract-parameter files
and the PMSS table (`contracts.parameters`)."""
