"""unique_id() namespaces what tests create so parallel and repeated runs never collide."""

from __future__ import annotations

from harness import RUN_ID, unique_id


def test_unique_id_carries_prefix_run_and_worker() -> None:
    name = unique_id("alice")
    prefix, run, worker, counter = name.split("-")
    assert (prefix, run) == ("alice", RUN_ID)
    assert worker.startswith("gw") or worker == "main"
    assert counter.isdigit()


def test_unique_id_never_repeats() -> None:
    names = {unique_id() for _ in range(1000)}
    assert len(names) == 1000
