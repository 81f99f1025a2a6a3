"""harness.processes.ServerProcess: a child process's stderr (or stdout) read on a thread, and
waited on line by line with a timeout."""

from __future__ import annotations

import sys

import pytest

from harness.processes import ServerProcess

TWO_STREAMS = "import sys; print('on stdout', flush=True); print('on stderr', file=sys.stderr, flush=True)"


@pytest.mark.parametrize(
    ("read", "kept", "dropped"), [("stderr", "on stderr", "on stdout"), ("stdout", "on stdout", "on stderr")]
)
def test_it_keeps_the_stream_it_reads_and_drops_the_other(read: str, kept: str, dropped: str) -> None:
    process = ServerProcess([sys.executable, "-c", TWO_STREAMS], read=read)
    try:
        assert process.expect(kept, timeout=30).group(0) == kept
        with pytest.raises(AssertionError, match="the process ended before a line matched"):
            process.expect(dropped, timeout=30)
    finally:
        assert process.stop() == 0
    assert process.output == f"{kept}\n"


def test_a_line_that_never_comes_fails_after_the_timeout_with_what_was_seen() -> None:
    process = ServerProcess(
        [
            sys.executable,
            "-c",
            "import sys, threading; print('up', file=sys.stderr, flush=True); threading.Event().wait()",
        ]
    )
    try:
        with pytest.raises(AssertionError, match=r"no line matched 'ready' in 0\.2 s; saw:\nup\n"):
            process.expect("ready", timeout=0.2)
    finally:
        assert process.stop() != 0  # terminated


def test_it_reads_stderr_or_stdout_and_nothing_else() -> None:
    with pytest.raises(ValueError, match="read is 'stderr' or 'stdout', not 'stdin'"):
        ServerProcess([sys.executable, "-c", "pass"], read="stdin")
