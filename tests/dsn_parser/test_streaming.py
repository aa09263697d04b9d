"""The concurrency of parse_to_parquet: the read-ahead keeps order and raises a reader's failure in
the caller; in_order gives results in order, never more than its window ahead."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from dsn_parser.streaming import in_order, read_ahead


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


def test_in_order_gives_results_in_the_items_order_whatever_finishes_first() -> None:
    def later_items_finish_first(number: int) -> int:
        time.sleep(0.002 * (20 - number))
        return number

    with ThreadPoolExecutor(4) as pool:
        results = in_order(pool, later_items_finish_first, range(20), window=4)
        assert list(results) == list(range(20))


def test_in_order_submits_no_more_than_its_window_ahead() -> None:
    submitted = []

    def items() -> Iterator[int]:
        for number in range(100):
            submitted.append(number)
            yield number

    with ThreadPoolExecutor(2) as pool:
        results = in_order(pool, str, items(), window=3)
        assert next(results) == "0"
        assert len(submitted) == 3
        assert list(results) == [str(number) for number in range(1, 100)]
