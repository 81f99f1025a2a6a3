"""The lines a failing test's report is made of: a log record, and one exchange, written out exactly."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import pytest

from harness import Exchange
from harness.logs import format_record

CREATED = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC).timestamp()


def _record(message: str, *, request_id: str | None = None, level: int = logging.INFO) -> logging.LogRecord:
    record = logging.LogRecord("kiln.errors", level, __file__, 1, message, (), None)
    record.created = CREATED
    if request_id is not None:
        record.request_id = request_id
    return record


def test_a_record_is_time_level_logger_request_id_and_message() -> None:
    assert format_record(_record("boom", request_id="abc")) == "03:04:05.678 INFO    kiln.errors [abc]: boom"


def test_a_record_outside_a_request_has_no_request_id() -> None:
    assert format_record(_record("idle", level=logging.WARNING)) == "03:04:05.678 WARNING kiln.errors: idle"


def test_a_record_with_an_exception_carries_its_traceback() -> None:
    record = _record("failed")
    try:
        raise RuntimeError("inner")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    lines = format_record(record).splitlines()
    assert lines[0] == "03:04:05.678 INFO    kiln.errors: failed"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: inner"


def test_a_record_whose_traceback_was_already_formatted_keeps_that_text() -> None:
    record = _record("failed")
    record.exc_text = "Traceback (most recent call last):\nValueError: earlier"
    assert format_record(record) == (
        "03:04:05.678 INFO    kiln.errors: failed\nTraceback (most recent call last):\nValueError: earlier"
    )


@pytest.mark.parametrize(
    ("exchange", "line"),
    [
        (Exchange("GET", "/a", 200, "r1", 1.25, "ignored for a success"), "GET /a -> 200 (1.2 ms) [r1]"),
        (Exchange("GET", "/a", 400, "r1", None, "bad"), "GET /a -> 400 [r1]\n    bad"),
        (Exchange("GET", "/a", 399, None, None, "a redirect's body"), "GET /a -> 399"),
        (Exchange("POST", "/b", None, None, 2.0, "cut off"), "POST /b -> --- (2.0 ms)\n    cut off"),
        (Exchange("POST", "/b", 500, None, 0.05, ""), "POST /b -> 500 (0.1 ms)"),
    ],
    ids=["success", "client-error", "below-400", "no-answer", "no-excerpt"],
)
def test_an_exchange_is_one_line_and_the_body_of_a_failure(exchange: Exchange, line: str) -> None:
    assert str(exchange) == line
