"""The affiliation stage on the companies changed since it last ran gives, night after night,
exactly what a whole recomputation of the same night gives on a copy of the warehouse: a small
generated portfolio landing in arrival order, then a late file for one company (the same night
run again, as late files are), a night with nothing new but a steward's decisions, a change of
the portal's exemptions (that night run again), and nights where only the date moves (pending
requests, exemptions, contract and portability ends).

The generator gives each company its own employees: the test makes three companies share two
(A, the late file's company, shares one with B, and B another with C), since the stage reads
across companies for the employees they share."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines.code_versions import CODE_VERSIONS
from quality.affiliation.night import run_affiliation_night
from quality.anomalies.decisions import DecisionAction, StewardDecision, record_decision
from synthetic import generate
from tests.pipelines.replay import arrivals, land, land_insurer_files
from tests.quality import incremental_nights
from tests.quality.incremental_nights import (
    BIG,
    night_both_ways,
    share_employees,
    shared_employees,
    signalement_nights,
)
from warehouse.connections import connect

STAGE = "affiliations"
VERSION = CODE_VERSIONS["affiliation"]
COMPARED = (
    "main.anomalies",
    "main.anomaly_events",
    "main.anomaly_nights",
    "main.steward_decisions",
    "core.affiliation_states",
    "core.affiliation_history",
)


def _night(tmp_path: Path, landing: Path, day: date) -> tuple[dict[str, int], int | None]:
    decisions = tmp_path / "decisions"
    return night_both_ways(
        tmp_path,
        landing,
        day,
        (STAGE, VERSION),
        lambda connection, scope: (
            run_affiliation_night(connection, day, decisions, changed=scope).companies
        ),
        COMPARED,
    )


def _decide(tmp_path: Path) -> None:
    """A forced radiation and a resolution on anomalies of the first company that has two."""
    with connect(tmp_path / "entrepot.duckdb", read_only=True) as connection:
        rows = connection.execute(
            """
            SELECT anomaly_id FROM anomalies
            WHERE status = 'open' AND employee_key IS NOT NULL AND contract_reference IS NOT NULL
            QUALIFY count(*) OVER (PARTITION BY siren) >= 2
            ORDER BY siren, anomaly_id LIMIT 2
            """
        ).fetchall()
    assert len(rows) == 2
    for (anomaly_id,), action in zip(
        rows, (DecisionAction.FORCE_RADIATION, DecisionAction.RESOLVE), strict=True
    ):
        decision = StewardDecision(
            anomaly_id=anomaly_id,
            action=action,
            decided_by="test",
            decided_at=datetime(2024, 6, 3, 9, 0, tzinfo=UTC),
            effective_date=date(2024, 5, 31),
        )
        record_decision(tmp_path / "decisions", decision)


def _drop_an_exempted_affiliation(tmp_path: Path, landing: Path) -> None:
    """Remove from the portal's exemptions one that an open AFF014 anomaly is about."""
    with connect(tmp_path / "entrepot.duckdb", read_only=True) as connection:
        [(nir, contract)] = connection.execute(
            """
            SELECT employee_key, contract_reference FROM anomalies
            WHERE rule_code = 'AFF014' AND status = 'open' ORDER BY anomaly_id LIMIT 1
            """
        ).fetchall()
    exemptions = landing / "portal" / "dispenses.csv"
    lines = exemptions.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not (f";{nir};" in line and f";{contract};" in line)]
    assert len(kept) < len(lines)
    exemptions.write_text("".join(kept), encoding="utf-8")


def test_each_night_on_the_changed_companies_equals_a_whole_recomputation(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    generate(
        source, companies=4, employees=30, months=4, start=date(2024, 1, 1), seed=3, fault_rate=0.5
    )
    landing = tmp_path / "landing"
    land_insurer_files(source, landing)
    (tmp_path / "decisions").mkdir()
    nights = arrivals(source)
    last = max(nights)
    late = next(p for d in sorted(nights, reverse=True) for p in nights[d] if "DSN_01" in p.name)
    share_employees(source, late)
    scopes: dict[date, int | None] = {}
    for day, paths in nights.items():
        for path in paths:
            if path != late:
                target = landing / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        differences, scopes[day] = _night(tmp_path, landing, day)
        assert set(differences.values()) == {0}, (day, differences)

    def another(day: date) -> None:
        differences, scopes[day] = _night(tmp_path, landing, day)
        assert set(differences.values()) == {0}, (day, differences)

    target = landing / late.relative_to(source)
    shutil.copy2(late, target)
    another(last)  # a late file for one company, run as the same night again
    _decide(tmp_path)
    another(last + timedelta(days=2))  # nothing new but the stewards' decisions
    # A reference change on the same night again: its AFF014 is resolved by data, and must
    # stay so on the next nights, when its company has nothing new.
    _drop_an_exempted_affiliation(tmp_path, landing)
    another(last + timedelta(days=2))
    another(last + timedelta(days=20))  # the date only: requests pending, exemptions
    another(last + timedelta(days=400))  # the date only: contract and portability ends

    assert shared_employees(tmp_path / "entrepot.duckdb") == 2
    assert scopes[min(scopes)] is None  # the first run recomputes every company
    incremental = [n for d, n in scopes.items() if d > min(scopes) and n is not None]
    assert incremental, scopes
    assert min(incremental) < 4, scopes  # some nights left companies out


def _add_ntt(files: list[Path], nir: str, ntt: str, without_nir: bool = False) -> None:
    """In `files`, the employee `nir` carries the NTT `ntt` (S21.G00.30.020, last of his
    block) beside his NIR, or instead of it (`without_nir`: his NIR not yet known)."""
    for path in files:
        lines = path.read_bytes().split(b"\n")
        first = lines.index(b"S21.G00.30.001,'%s'" % nir.encode())
        last = first
        while lines[last + 1].startswith(b"S21.G00.30."):
            last += 1
        lines.insert(last + 1, b"S21.G00.30.020,'%s'" % ntt.encode())
        if without_nir:
            del lines[first]
        # the envoi's line count (S90.G00.90.001), one more unless the NIR's line went
        total = b"S90.G00.90.001,'"
        at = next(i for i, line in enumerate(lines) if line.startswith(total))
        count = int(lines[at][len(total) : -1]) + (0 if without_nir else 1)
        lines[at] = total + b"%d'" % count
        path.write_bytes(b"\n".join(lines))


def _ntt(nir: str, siren: str, number: int) -> str:
    """A numéro technique temporaire: sex, the employer's SIREN, a number (CCH-13)."""
    return f"{nir[0]}{siren}{number:06d}"


def _drop_an_option(landing: Path, siren: str) -> None:
    """The contract parameters of `siren` no longer offer the last option of one contract."""
    path = next(
        p for p in sorted((landing / "reference").glob("*.json")) if f'"{siren}"' in p.read_text()
    )
    parameters = json.loads(path.read_text(encoding="utf-8"))
    parameters["options"] = parameters["options"][:-1]
    path.write_text(json.dumps(parameters), encoding="utf-8")


def test_signalements_recompute_their_employees_only_and_equal_a_whole_recomputation(
    tmp_path: Path,
) -> None:
    """The signalements (stoppages, returns, contract ends) of a company of many employees,
    each landing alone as a late file, recompute their employees only; with a monthly DSN of
    another company the same night, an employee declared by a second establishment, a steward's
    decision on one employee and a change of the company's contract parameters, night by
    night in arrival order, every night as a whole recomputation gives."""
    late = signalement_nights(tmp_path)
    source, landing, monthly, day = late.source, late.landing, late.monthly, late.day
    # Two carry an NTT beside the NIR of an employee declared month by month: one never
    # declared under that NTT, the other under it alone in his first month, beside his NIR in
    # the next ones (linked to it before tonight). Still their rows only.
    declared = set(incremental_nights.nirs_in(monthly))
    with_ntt = [
        index
        for index, path in enumerate(late.signalements)
        if index > 0 and set(incremental_nights.nirs_in([path])) <= declared
    ][:2]
    for number, index in enumerate(with_ntt, start=1):
        signalement = late.signalements[index]
        [nir] = incremental_nights.nirs_in([signalement])
        ntt = _ntt(nir, signalement.name.split("_")[2][:9], number)
        _add_ntt([signalement], nir, ntt)
        if number == 2:
            his = [landing / m.relative_to(source) for m in monthly]
            his = sorted(
                (m for m in his if m.exists() and nir in incremental_nights.nirs_in([m])),
                key=lambda m: m.name.split("_")[3],  # by the time it was made
            )
            _add_ntt(his[:1], nir, ntt, without_nir=True)
            _add_ntt(his[1:], nir, ntt)
    (tmp_path / "decisions").mkdir()
    differences, companies = _night(tmp_path, landing, day)
    assert set(differences.values()) == {0} and companies is None

    narrowed = []
    for index, signalement in enumerate(late.signalements):
        # a monthly DSN of another company lands with the first signalement
        land(source, landing, [signalement, late.held_back] if index == 0 else [signalement])
        differences, companies = _night(tmp_path, landing, day)
        assert set(differences.values()) == {0}, (signalement.name, differences)
        narrowed.append(companies == (1 if index == 0 else 0))
    # a few concern no monthly employee
    assert sum(narrowed) >= len(late.signalements) - 2, narrowed
    assert all(narrowed[index] for index in with_ntt), narrowed

    # an employee of one establishment declared by another in its last monthly DSN
    last_of_big = sorted(p for p in monthly if BIG in p.name)
    other_siret = next(
        p for p in reversed(last_of_big) if p.name[7:21] != last_of_big[-1].name[7:21]
    )
    mover = incremental_nights.nirs_in([last_of_big[-1]])[0]
    target = landing / other_siret.relative_to(source)
    incremental_nights.declare_as([target], incremental_nights.nirs_in([target])[0], mover)
    differences, companies = _night(tmp_path, landing, day)
    assert set(differences.values()) == {0}, differences

    _decide(tmp_path)
    differences, _ = _night(tmp_path, landing, day + timedelta(days=2))
    assert set(differences.values()) == {0}, differences
    _drop_an_option(landing, BIG)
    differences, companies = _night(tmp_path, landing, day + timedelta(days=2))
    assert set(differences.values()) == {0}, differences
    assert companies == 1
