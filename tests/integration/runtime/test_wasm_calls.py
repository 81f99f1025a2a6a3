"""``[wasm]`` over HTTP: runtime-app's handlers call add.wasm with a fuel limit and no host access."""

from __future__ import annotations

import pytest

from harness import TestApp


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [(5, 7, 12), (-3, 10, 7), (0, 0, 0), (2147483647, 1, -2147483648)],  # i32 arithmetic wraps
    ids=["five-plus-seven", "negative", "zeros", "i32-wraps"],
)
def test_add_runs_in_wasm(runtime_app: TestApp, a: int, b: int, result: int) -> None:
    response = runtime_app.get("/api/add", params={"a": a, "b": b})
    assert response.status_code == 200, response.text
    assert response.json() == {"result": result}


def test_a_runaway_loop_runs_out_of_fuel_and_the_server_keeps_serving(runtime_app: TestApp) -> None:
    response = runtime_app.get("/api/spin")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "trace" not in response.text.lower()  # no traceback, no wasm backtrace
    assert runtime_app.get("/api/add", params={"a": 1, "b": 2}).json() == {"result": 3}


def test_a_trap_answers_500_and_the_next_call_is_fresh(runtime_app: TestApp) -> None:
    response = runtime_app.get("/api/trap")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert runtime_app.get("/api/add", params={"a": 5, "b": 7}).json() == {"result": 12}


@pytest.mark.local_only("reads the server's log")
def test_the_log_says_why_a_call_failed(runtime_app: TestApp) -> None:
    runtime_app.get("/api/spin")
    runtime_app.get("/api/trap")
    failures = [record for record in runtime_app.logs if record.exc_info]
    assert len(failures) == 2
    assert [str(record.exc_info[1]) for record in failures if record.exc_info] == [
        "wasm add.spin trapped: wasm trap: all fuel consumed by WebAssembly",
        "wasm add.trap trapped: wasm trap: wasm `unreachable` instruction executed",
    ]
