"""The affiliation register: the state of every employee on every OC contract, and its history.

States (the portal's "Mes salariés" filter, seed 002): affilié, en cours d'affiliation (a
portal request, no action for at most 8 days), à relancer (no action after 8 days), dispensé
(a valid exemption), radié (with date and reason), en portabilité (former employee keeping
cover after leaving, up to 12 months, when the end reason opens unemployment rights).

What decides, strongest first:
1. a steward's forced affiliation or radiation (`dsnpipe anomalies`, kept in steward_decisions);
2. an exemption entered on the portal, in force on the night;
3. a radiation entered on the portal, effective on the night;
4. the DSN: affiliated (S21.G00.70) to the contract, then the end of the employment contract
   (S21.G00.62): radié at the end date, or en portabilité when the reason opens it, unless
   62.016 says the employee keeps the collective cover (maintien: still affilié);
5. a portal request for a person no monthly DSN declares yet: affilié when the employee
   completed it, otherwise en cours d'affiliation, then à relancer after `pending_days`. Once
   the DSN declares him, the DSN decides (declared without the affiliation: no state, AFF001).

`compute_states` is a pure function of frames (`StateInputs`); `quality.affiliation.store`
reads them from the warehouse and writes the register and its history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from quality.affiliation.tables import AFFILIATION_STATES


class Status:
    AFFILIATED = "affilié"
    PENDING = "en cours d'affiliation"
    TO_REMIND = "à relancer"
    EXEMPTED = "dispensé"
    RADIATED = "radié"
    PORTABILITY = "en portabilité"


ALL_STATUSES = (
    Status.AFFILIATED,
    Status.PENDING,
    Status.TO_REMIND,
    Status.EXEMPTED,
    Status.RADIATED,
    Status.PORTABILITY,
)

# S21.G00.62.002 reasons that open portability (they open unemployment rights): dismissals
# except for gross (087) or serious (088) misconduct, economic ends, end of fixed term or
# mission (031-033, 036), end of trial period on the employer's side (034), rupture
# conventionnelle (043, 110), common-agreement ends of fixed terms (084), CATS (086),
# incapacity (091, 092), 111-113, 117. Not resignation (059), retirement (038, 039), death
# (066). DOMAIN.md marks the list unconfirmed: it is a setting.
DEFAULT_PORTABILITY_REASONS = frozenset(
    {
        *("011", "012", "014", "015", "020", "025", "026"),
        *("031", "032", "033", "034", "036", "043", "084", "086", "091", "092"),
        *("110", "111", "112", "113", "117"),
    }
)


@dataclass(frozen=True)
class RegisterSettings:
    pending_days: int = 8
    portability_months: int = 12
    portability_reasons: frozenset[str] = field(default=DEFAULT_PORTABILITY_REASONS)


# What `compute_states` returns: the register without the night that computed it.
STATE_SCHEMA = AFFILIATION_STATES.polars_schema(exclude=("night",))
STATE_KEY = list(AFFILIATION_STATES.key)


@dataclass(frozen=True)
class StateInputs:
    """One frame per source; columns as read by `read_state_inputs`."""

    contracts: pl.DataFrame  # contract_reference, siren (the OC's contracts)
    dsn: pl.DataFrame  # one row per employee and contract affiliated in a monthly DSN
    requests: pl.DataFrame  # portal requests, with completed_on
    exemptions: pl.DataFrame
    radiations: pl.DataFrame  # portal radiations
    forced: pl.DataFrame  # steward decisions: action, effective_date, reason


def compute_states(
    inputs: StateInputs, night: date, settings: RegisterSettings | None = None
) -> pl.DataFrame:
    """One row per company, employee and known OC contract (`STATE_SCHEMA`), sorted by key."""
    settings = settings or RegisterSettings()
    known = inputs.contracts.select("contract_reference", "siren").unique()
    frames = [
        _from_dsn(inputs.dsn, night, settings),
        _from_requests(inputs.requests, night, settings),
        _from_exemptions(inputs.exemptions, night),
        _from_radiations(inputs.radiations, night),
        _from_decisions(inputs.forced),
    ]
    candidates = (
        pl.concat([f.select([*STATE_SCHEMA, "rank"]) for f in frames], how="vertical")
        .join(known, on=["contract_reference", "siren"], how="semi")
        .drop_nulls("employee_key")
    )
    strongest = candidates.sort([*STATE_KEY, "rank"]).unique(subset=STATE_KEY, keep="first")
    # Identity and cover details come from the DSN when it has them, whatever decided.
    details = inputs.dsn.select(
        *STATE_KEY,
        pl.col("siret").alias("dsn_siret"),
        pl.col("employee_name").alias("dsn_name"),
        pl.col("option_code").alias("dsn_option"),
        pl.col("population_code").alias("dsn_population"),
        pl.col("dependants").cast(pl.Int32).alias("dsn_dependants"),
    )
    return (
        strongest.join(details, on=STATE_KEY, how="left")
        .with_columns(
            siret=pl.coalesce("dsn_siret", "siret"),
            employee_name=pl.coalesce("dsn_name", "employee_name"),
            option_code=pl.coalesce("dsn_option", "option_code"),
            population_code=pl.coalesce("dsn_population", "population_code"),
            dependants=pl.coalesce("dsn_dependants", "dependants"),
        )
        .select(list(STATE_SCHEMA))
        .cast(pl.Schema(STATE_SCHEMA))
        .sort(STATE_KEY)
    )


def _rows(frame: pl.DataFrame, rank: int, source: str, **columns: pl.Expr) -> pl.DataFrame:
    """`frame` brought to STATE_SCHEMA (missing columns null) with the strength of its source."""
    exprs = {name: pl.lit(None, dtype) for name, dtype in STATE_SCHEMA.items()}
    exprs.update({c: pl.col(c) for c in frame.columns if c in STATE_SCHEMA})
    exprs.update(columns)
    exprs["source"] = pl.lit(source)
    return frame.select(
        *(expr.cast(STATE_SCHEMA[name]).alias(name) for name, expr in exprs.items()),
        pl.lit(rank).alias("rank"),
    )


def _from_decisions(forced: pl.DataFrame) -> pl.DataFrame:
    radiation = pl.col("action") == "force_radiation"
    return _rows(
        forced,
        1,
        "gestionnaire",
        status=pl.when(radiation)
        .then(pl.lit(Status.RADIATED))
        .otherwise(pl.lit(Status.AFFILIATED)),
        status_since=pl.col("effective_date"),
        end_reason=pl.when(radiation).then(pl.col("reason")),
    )


def _from_exemptions(exemptions: pl.DataFrame, night: date) -> pl.DataFrame:
    in_force = (pl.col("start_date") <= night) & (
        pl.col("end_date").is_null() | (pl.col("end_date") >= night)
    )
    return _rows(
        exemptions.filter(in_force),
        2,
        "portail",
        status=pl.lit(Status.EXEMPTED),
        status_since=pl.col("start_date"),
        end_reason=pl.col("reason_code"),
    )


def _from_radiations(radiations: pl.DataFrame, night: date) -> pl.DataFrame:
    return _rows(
        radiations.filter(pl.col("radiation_date") <= night),
        3,
        "portail",
        status=pl.lit(Status.RADIATED),
        status_since=pl.col("radiation_date"),
        end_reason=pl.col("reason"),
    )


def _from_dsn(dsn: pl.DataFrame, night: date, settings: RegisterSettings) -> pl.DataFrame:
    ended = (
        pl.col("end_date").is_not_null()
        & (pl.col("end_date") <= night)
        & ~pl.col("keeps_cover").fill_null(False)
    )
    portability_end = pl.col("end_date").dt.offset_by(f"{settings.portability_months}mo")
    in_portability = (
        ended
        & pl.col("end_reason").is_in(list(settings.portability_reasons))
        & (portability_end >= night)
    )
    return _rows(
        dsn,
        4,
        "dsn",
        status=pl.when(in_portability)
        .then(pl.lit(Status.PORTABILITY))
        .when(ended)
        .then(pl.lit(Status.RADIATED))
        .otherwise(pl.lit(Status.AFFILIATED)),
        status_since=pl.when(in_portability)
        .then(pl.col("end_date").dt.offset_by("1d"))
        .when(ended)
        .then(pl.col("end_date"))
        .otherwise(pl.col("affiliated_since")),
        portability_end=pl.when(in_portability).then(portability_end),
        end_reason=pl.when(ended).then(pl.col("end_reason")),
    )


def _from_requests(requests: pl.DataFrame, night: date, settings: RegisterSettings) -> pl.DataFrame:
    waited = (pl.lit(night) - pl.col("requested_on")).dt.total_days()
    completed = pl.col("completed_on").is_not_null() & (pl.col("completed_on") <= night)
    return _rows(
        requests,
        5,
        "portail",
        status=pl.when(completed)
        .then(pl.lit(Status.AFFILIATED))
        .when(waited <= settings.pending_days)
        .then(pl.lit(Status.PENDING))
        .otherwise(pl.lit(Status.TO_REMIND)),
        status_since=pl.when(completed)
        .then(pl.coalesce("hired_on", "completed_on"))
        .otherwise(pl.col("requested_on")),
    )
