"""The read-ahead of parse_to_parquet: order kept, a reader's failure surfaces in the caller."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from dsn_parser.streaming import read_ahead


def test_items_arrive_in_order_and_all_of_them() -> None:
    assert list(read_ahead(iter(range(1000)))) == list(range(1000))


def test_an_error_while_reading_is_raised_to_the_consumer_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disque illisible")

    received = []
    with pytest.raises(OSError, match="disque illisible"):
        for item in read_ahead(failing()):
            received.append(item)
    assert received == [1, 2]


def test_a_consumer_that_stops_early_does_not_leave_the_reader_running() -> None:
    produced = []

    def endless() -> Iterator[int]:
        number = 0
        while True:
            produced.append(number)
            yield number
            number += 1

    for item in read_ahead(endless()):
        if item == 3:
            break
    assert not any(thread.name == "dsn-read-ahead" for thread in threading.enumerate())
    assert len(produced) <= 6  # one item ahead at most, plus the one in the hand-off
