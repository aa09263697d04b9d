"""The ledger step pauses Python's cyclic garbage collector
(`ledgers.store.cycle_collector_paused`): the night's later steps run with it again, whether the
step ends or fails, and a step run where it was already off leaves it off."""

import gc
from collections.abc import Iterator

import pytest

from ledgers.store import cycle_collector_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was_on else gc.disable)()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_paused_during_the_step_and_runs_again_after() -> None:
    with cycle_collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_failing_step_leaves_the_collector_running() -> None:
    with pytest.raises(RuntimeError), cycle_collector_paused():
        raise RuntimeError("étape interrompue")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    with cycle_collector_paused():
        pass
    assert not gc.isenabled()
