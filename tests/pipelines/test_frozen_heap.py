"""`dsnpipe run` keeps the objects alive at the run's start out of the cyclic collector's passes
(`frozen_heap`): the night's own cyclic garbage is still collected, and a process that goes on
after the night (the tests, a notebook) gets its heap back whether the night ends or fails."""

import gc
import weakref

import pytest

from pipelines.commands.run import frozen_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: freed by the collector only


def test_the_nights_cyclic_garbage_is_still_collected() -> None:
    with frozen_heap():
        dropped = weakref.ref(_Node())
        gc.collect()
        assert dropped() is None


def test_objects_alive_at_the_start_are_kept_out_of_the_passes_until_the_end() -> None:
    before = gc.get_freeze_count()
    kept = _Node()
    with frozen_heap():
        assert gc.get_freeze_count() > before
        dropped = weakref.ref(kept)
        del kept
        gc.collect()
        assert dropped() is not None  # frozen: the pass does not see it
    gc.collect()
    assert dropped() is None
    assert gc.get_freeze_count() == before


def test_a_failing_night_unfreezes_the_heap() -> None:
    before = gc.get_freeze_count()
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("nuit en échec")
    assert gc.get_freeze_count() == before
