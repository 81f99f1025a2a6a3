"""Servers in child processes: ``kiln serve`` or ``kiln host`` started for a test or a smoke run
(or a command that follows a log, such as ``kiln logs --follow``), their stderr or stdout read
line by line on a thread, so a caller can wait for a line with a timeout.

    server = ServerProcess(["kiln", "host", str(root), "--port", "0"])
    url = server.expect(r"Uvicorn running on (http://127\\.0\\.0\\.1:\\d+)").group(1)
    ...
    server.stop()
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from collections.abc import Mapping, Sequence

__all__ = ["UVICORN_URL", "ServerProcess"]

#: The line in which uvicorn announces where it listens (``--port 0`` included).
UVICORN_URL = r"Uvicorn running on (http://127\.0\.0\.1:\d+)"


class ServerProcess:
    """A child process whose stderr lines (or stdout's, with ``read="stdout"``) are kept; the
    other stream is discarded. ``stop()`` terminates it (kills it after 10 s)."""

    def __init__(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, read: str = "stderr"
    ) -> None:
        if read not in ("stderr", "stdout"):
            raise ValueError(f"read is 'stderr' or 'stdout', not {read!r}")
        self.argv = list(argv)
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if read == "stdout" else subprocess.DEVNULL,
            stderr=subprocess.PIPE if read == "stderr" else subprocess.DEVNULL,
            text=True,
            env=dict(env) if env is not None else None,
        )
        self._pipe = self.process.stdout if read == "stdout" else self.process.stderr
        #: Every line read so far.
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True, name="harness-process-reader")
        self._reader.start()

    def _read(self) -> None:
        assert self._pipe is not None
        for line in self._pipe:
            self._queue.put(line)
        self._queue.put(None)  # the end

    def expect(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first line already read or still to come that matches ``pattern``; AssertionError
        with everything seen if none does within ``timeout`` seconds or before the process ends."""
        for line in self.seen:
            found = re.search(pattern, line)
            if found:
                return found
        while True:
            try:
                got = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no line matched {pattern!r} in {timeout} s; saw:\n{self.output}"
                ) from None
            if got is None:
                self._queue.put(None)
                raise AssertionError(
                    f"the process ended before a line matched {pattern!r}; saw:\n{self.output}"
                )
            self.seen.append(got)
            found = re.search(pattern, got)
            if found:
                return found

    @property
    def output(self) -> str:
        """The lines read so far, as one text."""
        return "".join(self.seen)

    def stop(self) -> int:
        """Terminate the process, wait for it, and answer its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        if self._pipe is not None:
            self._pipe.close()
        return self.process.returncode
