"""The log ``kiln serve`` writes: one line per record on stderr, with the request id, uvicorn's too."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import logging.handlers
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiln.logs import serve_log_config

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<rest>.*)$")
NAMES = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "kiln.errors", "mail.log")


@pytest.fixture
def serve_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., io.StringIO]]:
    """``serve_logging(level)`` applies serve_log_config with stderr captured; every logger it
    touches is put back afterwards. (It patches stderr when called: pytest's own capture swaps
    ``sys.stderr`` again between a fixture's setup and the test.)"""
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate, logger.filters[:])
        for name in NAMES
        for logger in [logging.getLogger(name)]
    }

    def configure(*level: str) -> io.StringIO:
        captured = io.StringIO()
        monkeypatch.setattr("sys.stderr", captured)
        logging.config.dictConfig(serve_log_config(*level))
        return captured

    try:
        yield configure
    finally:
        for name, (handlers, level, propagate, filters) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:], logger.filters[:] = handlers, filters
            logger.setLevel(level)
            logger.propagate = propagate


def _lines(captured: io.StringIO) -> list[str]:
    lines = []
    for line in captured.getvalue().splitlines():
        found = LINE.match(line)
        assert found, f"not a log line: {line!r}"
        lines.append(found.group("rest"))
    return lines


def test_records_are_one_line_each_with_level_logger_and_request_id(
    serve_logging: Callable[..., io.StringIO],
) -> None:
    stderr = serve_logging()
    logging.getLogger("kiln.errors").error("boom", extra={"request_id": "abc123"})
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    logging.getLogger("kiln.errors").debug("not at INFO")
    assert _lines(stderr) == [
        "ERROR   kiln.errors [abc123] boom",
        "INFO    uvicorn.error [-] Started server process",
        'INFO    uvicorn.access [-] 127.0.0.1 - "GET / HTTP/1.1" 200',
    ]


def test_uvicorn_records_go_through_the_root_handler_once(serve_logging: Callable[..., io.StringIO]) -> None:
    from uvicorn.config import LOGGING_CONFIG

    logging.config.dictConfig(LOGGING_CONFIG)  # as if uvicorn had set up its own handlers first
    stderr = serve_logging()
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        assert (logger.handlers, logger.propagate) == ([], True)
    root = logging.getLogger()
    assert len(root.handlers) == 1
    assert root.level == logging.INFO
    logging.getLogger("uvicorn").warning("once")
    logging.getLogger("uvicorn.error").warning("once too")
    logging.getLogger("uvicorn.access").warning("and once more")
    assert _lines(stderr) == [
        "WARNING uvicorn [-] once",
        "WARNING uvicorn.error [-] once too",
        "WARNING uvicorn.access [-] and once more",
    ]


def test_the_level_is_the_one_given(serve_logging: Callable[..., io.StringIO]) -> None:
    stderr = serve_logging("WARNING")
    logging.getLogger("kiln.errors").info("hidden")
    logging.getLogger("kiln.errors").warning("shown")
    assert _lines(stderr) == ["WARNING kiln.errors [-] shown"]


def test_other_loggers_keep_working(serve_logging: Callable[..., io.StringIO]) -> None:
    existing = logging.getLogger("someone.else")
    existing.disabled = False
    stderr = serve_logging()
    assert existing.disabled is False
    existing.warning("still here")
    assert _lines(stderr) == ["WARNING someone.else [-] still here"]


def _json_line(record: logging.LogRecord) -> dict[str, object]:
    from kiln.logs import JsonLinesFormatter

    return json.loads(JsonLinesFormatter().format(record))  # type: ignore[no-any-return]


def test_the_log_file_has_one_json_object_per_record() -> None:
    record = logging.LogRecord("kiln.cron", logging.WARNING, __file__, 1, "job %s failed", ("tick",), None)
    record.created = 1_800_000_000.25
    record.request_id = "abc123"
    assert _json_line(record) == {
        "time": "2027-01-15T08:00:00.250Z",
        "level": "warning",
        "logger": "kiln.cron",
        "request_id": "abc123",
        "message": "job tick failed",
    }


def test_a_line_outside_a_request_has_a_null_request_id_and_its_traceback() -> None:
    try:
        raise ValueError("the bad value")
    except ValueError:
        import sys

        record = logging.LogRecord("kiln", logging.ERROR, __file__, 1, "it broke", (), sys.exc_info())
    record.request_id = "-"  # what RequestIdFilter gives a record from outside a request
    line = _json_line(record)
    assert line["request_id"] is None
    message = str(line["message"])
    assert message.startswith("it broke\nTraceback (most recent call last):")
    assert message.endswith("ValueError: the bad value")


def test_serve_writes_json_lines_to_the_log_file(
    serve_logging: Callable[..., io.StringIO], tmp_path: Path
) -> None:
    log_file = tmp_path / "logs" / "kiln.jsonl"
    captured = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stderr", captured)
        logging.config.dictConfig(serve_log_config(log_file=log_file))
    logging.getLogger("kiln.errors").error("boom", extra={"request_id": "r-9"})
    for handler in logging.getLogger().handlers:
        handler.flush()
    [line] = [json.loads(raw) for raw in log_file.read_text().splitlines()]
    assert {k: line[k] for k in ("level", "logger", "request_id", "message")} == {
        "level": "error",
        "logger": "kiln.errors",
        "request_id": "r-9",
        "message": "boom",
    }
    assert "[r-9] boom" in captured.getvalue()  # and the stderr line as before
    files = [h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert [h.maxBytes for h in files] == [10 * 1024 * 1024]
    for handler in files:
        handler.close()


def test_aiosmtpds_line_per_smtp_command_is_left_out(serve_logging: Callable[..., io.StringIO]) -> None:
    stderr = serve_logging()
    logging.getLogger("mail.log").info("('127.0.0.1', 51730) >> b'ehlo [127.0.0.1]'")
    logging.getLogger("mail.log").warning("SMTP session exception")
    assert _lines(stderr) == ["WARNING mail.log [-] SMTP session exception"]
