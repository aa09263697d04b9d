from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.ingestion.automation import delivery_key, landing_sensor
from pipelines.resources import LandingResource
from tests.warehouse.helpers import AUGUST_2019, SEPTEMBER_2019, deliver


def evaluate(landing: Path, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={
            "landing": LandingResource(
                landing_dir=str(landing), quarantine_dir=str(landing.parent / "q")
            )
        },
    )
    result = landing_sensor(context)
    assert isinstance(result, dg.SensorResult | dg.SkipReason)
    return result


def run_keys(result: dg.SensorResult | dg.SkipReason) -> list[str]:
    assert isinstance(result, dg.SensorResult)
    return [request.run_key for request in result.run_requests or [] if request.run_key]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


def test_a_new_file_requests_one_run_keyed_on_its_content(landing: Path) -> None:
    delivered = deliver(landing, "aout.dsn", AUGUST_2019)
    result = evaluate(landing, cursor=None)
    assert run_keys(result) == [delivery_key([sha256(AUGUST_2019)])]
    assert isinstance(result, dg.SensorResult)
    # The cursor is the file's modification time, not the clock.
    assert float(result.cursor or "nan") == delivered.stat().st_mtime


def test_nothing_new_since_the_cursor_is_a_skip(landing: Path) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    first = evaluate(landing, cursor=None)
    assert isinstance(first, dg.SensorResult)
    assert isinstance(evaluate(landing, cursor=first.cursor), dg.SkipReason)


def test_two_names_for_one_content_in_the_same_tick_request_one_run(landing: Path) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    deliver(landing, "aout_copie.dsn", AUGUST_2019)
    assert run_keys(evaluate(landing, cursor=None)) == [delivery_key([sha256(AUGUST_2019)])]


def test_a_renamed_redelivery_reuses_the_run_key_so_dagster_launches_nothing(
    landing: Path,
) -> None:
    original = deliver(landing, "aout.dsn", AUGUST_2019)
    os.utime(original, (1_000, 1_000))
    first_tick = evaluate(landing, cursor=None)
    assert isinstance(first_tick, dg.SensorResult)
    renamed = deliver(landing, "aout_renomme.dsn", AUGUST_2019)
    os.utime(renamed, (2_000, 2_000))
    second_tick = evaluate(landing, cursor=first_tick.cursor)
    assert run_keys(second_tick) == run_keys(first_tick)


def test_a_fixed_file_delivered_again_under_the_same_name_requests_a_new_run(
    landing: Path,
) -> None:
    delivered = deliver(landing, "aout.dsn", b"S10.G00.00.001,'TRONQUE'\n")
    os.utime(delivered, (1_000, 1_000))
    first_tick = evaluate(landing, cursor=None)
    assert isinstance(first_tick, dg.SensorResult)
    delivered.write_bytes(SEPTEMBER_2019.read_bytes())
    os.utime(delivered, (2_000, 2_000))
    second_tick = evaluate(landing, cursor=first_tick.cursor)
    assert run_keys(second_tick) == [delivery_key([sha256(SEPTEMBER_2019)])]


def test_an_upload_in_progress_is_not_picked_up(landing: Path) -> None:
    (landing / "dsn").mkdir()
    (landing / "dsn" / "aout.dsn.part").write_bytes(AUGUST_2019.read_bytes())
    assert isinstance(evaluate(landing, cursor=None), dg.SkipReason)


def test_sixty_new_files_are_one_delivery_and_one_run_and_the_same_files_again_none(
    landing: Path,
) -> None:
    for index in range(60):
        delivered = deliver(landing, f"dsn_{index:02d}.dsn", AUGUST_2019)
        delivered.write_bytes(AUGUST_2019.read_bytes() + f"\n* {index}\n".encode())
    first_tick = evaluate(landing, cursor=None)
    keys = run_keys(first_tick)
    assert len(keys) == 1
    assert isinstance(first_tick, dg.SensorResult)
    assert first_tick.run_requests is not None
    assert first_tick.run_requests[0].tags["dsnpipe/livraison_fichiers"] == "60"
    # the same sixty contents delivered again under other names: the same key, no new run
    for index in range(60):
        again = landing / f"renvoi_{index:02d}.dsn"
        again.write_bytes((landing / "dsn" / f"dsn_{index:02d}.dsn").read_bytes())
        os.utime(again, (4_000_000_000, 4_000_000_000))
    assert run_keys(evaluate(landing, cursor=first_tick.cursor)) == keys
