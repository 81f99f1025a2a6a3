"""kiln.logs' reading side: ``--since`` forms, the filter's levels and times, and lines that are
not what they should be (a mutation run found these unpinned)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiln.logs import LogFilter, parse_line, parse_since, read_log

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_since_takes_an_iso_datetime_with_z_an_offset_or_none() -> None:
    assert parse_since("2026-12-01T09:30:00Z", NOW) == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert parse_since("2026-12-01T09:30:00+02:00", NOW) == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert parse_since(" 2026-12-01T09:30 ", NOW) == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert parse_since("90s", NOW) == NOW - timedelta(seconds=90)
    assert parse_since("2d", NOW) == NOW - timedelta(days=2)
    assert parse_since("2026-12-01T09:30:00Z", NOW).tzinfo is not None
    assert parse_since("2026-12-01T11:30:00+02:00", NOW).utcoffset() == timedelta(hours=2)


def _line(
    level: object = "info", time: object = "2026-12-03T11:59:00.000Z", **more: object
) -> dict[str, object]:
    line: dict[str, object] = {"level": level, "logger": "t", "request_id": None, "message": "m", **more}
    if time is not None:
        line["time"] = time
    return line


def test_a_line_without_a_readable_time_is_left_out_when_since_is_given() -> None:
    keep = LogFilter(since=NOW - timedelta(hours=1))
    assert keep(_line())
    assert not keep(_line(time=None))
    assert not keep(_line(time="yesterday"))
    assert not keep(_line(time="2026-12-03T10:00:00.000Z"))
    assert LogFilter()(_line(time=None))  # without --since, time does not matter


def test_levels_rank_critical_as_error_and_warn_as_warning_in_any_case() -> None:
    errors = LogFilter(level="error")
    assert errors(_line("critical"))
    assert errors(_line("ERROR"))
    assert not errors(_line("warning"))
    warnings = LogFilter(level="warning")
    assert warnings(_line("warn"))
    assert warnings(_line("WARN"))
    assert not warnings(_line("info"))


def test_a_line_of_an_unknown_or_missing_level_ranks_lowest() -> None:
    assert not LogFilter(level="info")(_line("trace"))
    assert not LogFilter(level="info")(_line(None))
    assert not LogFilter(level="info")(_line(""))
    assert LogFilter(level="debug")(_line("trace"))


def test_lines_that_are_not_objects_are_skipped_and_bad_bytes_replaced(tmp_path: Path) -> None:
    log = tmp_path / "kiln.jsonl"
    good = json.dumps(_line(message="café ☕"))
    log.write_bytes(
        b"[1, 2]\n" + good.encode() + b'\n{"level": "info", "message": "bad \xff byte"}\n"just a string"\n'
    )
    lines = list(read_log(log, LogFilter()))
    assert [line["message"] for line in lines] == ["café ☕", "bad \ufffd byte"]
    assert parse_line("[1, 2]") is None
    assert parse_line('"text"') is None
    assert parse_line("{not json") is None


def test_a_line_at_the_very_moment_of_since_is_kept() -> None:
    keep = LogFilter(since=datetime(2026, 12, 3, 11, 59, tzinfo=UTC))
    assert keep(_line(time="2026-12-03T11:59:00.000Z"))
    assert not keep(_line(time="2026-12-03T11:58:59.999Z"))
    assert not keep(_line(time=42))
    assert keep(_line(time="2026-12-03T11:59:30"))  # no zone: UTC, and no TypeError


def test_the_log_file_config_makes_its_folders_and_takes_them_as_they_are(tmp_path: Path) -> None:
    from kiln.logs import serve_log_config

    log_file = tmp_path / "data" / "logs" / "kiln.jsonl"
    first = serve_log_config(log_file=log_file)
    assert log_file.parent.is_dir()
    assert serve_log_config(log_file=log_file) == first  # the folder exists now: no error
    assert first["handlers"]["file"]["filename"] == str(log_file)
    assert first["root"]["handlers"] == ["stderr", "file"]
