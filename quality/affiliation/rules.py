"""Every affiliation anomaly rule, by catalogue code (`quality.anomalies.catalogue`): the list
the night runs. Adding a rule: write its function in its family's module (it takes the
`DetectionContext` and returns a frame of `DETECTION_SCHEMA` columns, only those it fills), then
add one line here; a test checks that the codes here and in the catalogue are the same."""

from __future__ import annotations

from quality.affiliation.contracts import unknown_contract, unknown_option, unknown_population
from quality.affiliation.contributions import contribution_off_rate
from quality.affiliation.dates import affiliation_end_before_start
from quality.affiliation.dependants import dependant_counts_mismatch
from quality.affiliation.identity import (
    nir_change_without_identity_block,
    ntt_without_nir,
    same_nir_in_two_establishments,
)
from quality.affiliation.portal import (
    declared_but_exempted,
    declared_but_radiated,
    portal_request_not_in_dsn,
)
from quality.affiliation.presence import (
    absent_without_contract_end,
    declared_after_contract_end,
    declared_without_affiliation,
)
from quality.anomalies.detection import Detector

AFFILIATION_RULES: dict[str, Detector] = {
    "AFF001": declared_without_affiliation,
    "AFF002": absent_without_contract_end,
    "AFF003": unknown_contract,
    "AFF004": unknown_option,
    "AFF005": unknown_population,
    "AFF006": ntt_without_nir,
    "AFF007": nir_change_without_identity_block,
    "AFF008": same_nir_in_two_establishments,
    "AFF009": declared_after_contract_end,
    "AFF010": dependant_counts_mismatch,
    "AFF011": affiliation_end_before_start,
    "AFF012": contribution_off_rate,
    "AFF013": portal_request_not_in_dsn,
    "AFF014": declared_but_exempted,
    "AFF015": declared_but_radiated,
}
