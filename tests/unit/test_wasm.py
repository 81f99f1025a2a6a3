"""kiln.wasm: modules compiled once and called in fresh instances with a fuel limit; runtime-app's
add.wasm is exactly what its checked-in add.wat compiles to."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import wasmtime

from kiln.wasm import WasmError, WasmModule, load_module

WASM = Path(__file__).parents[1] / "fixtures" / "runtime-app" / "wasm"
COUNTER = """
(module
  (global $count (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    global.get $count
    i32.const 1
    i32.add
    global.set $count
    global.get $count)
  (func (export "half") (param f64) (result f64)
    local.get 0
    f64.const 2
    f64.div))
"""


@pytest.fixture(scope="module")
def add() -> WasmModule:
    return load_module("add", WASM / "add.wasm")


def test_add_wasm_is_built_from_add_wat() -> None:
    assert (WASM / "add.wasm").read_bytes() == wasmtime.wat2wasm((WASM / "add.wat").read_text())


def test_add_adds(add: WasmModule) -> None:
    assert add.call("add", 5, 7) == 12
    assert add.call("add", -3, 3) == 0
    assert add.call("add", 2**31 - 1, 1) == -(2**31)  # i32 wraps


def test_exports_lists_the_functions_in_module_order(add: WasmModule) -> None:
    assert add.exports == ("add", "spin", "trap")


def test_a_runaway_loop_stops_when_its_fuel_runs_out(add: WasmModule) -> None:
    with pytest.raises(WasmError, match=r"^wasm add\.spin trapped: .*fuel"):
        add.call("spin")
    assert add.call("add", 1, 2) == 3  # the next call has fuel of its own


def test_a_trap_raises_and_leaves_the_module_usable(add: WasmModule) -> None:
    with pytest.raises(WasmError, match=r"^wasm add\.trap trapped: .*unreachable"):
        add.call("trap")
    assert add.call("add", 5, 7) == 12


def test_an_unknown_export_names_the_ones_there_are(add: WasmModule) -> None:
    with pytest.raises(WasmError) as info:
        add.call("sub", 1, 2)
    assert str(info.value) == "wasm module 'add' has no function 'sub' (it exports: add, spin, trap)"


def test_wrong_arguments_are_a_wasm_error(add: WasmModule) -> None:
    with pytest.raises(WasmError, match=r"^wasm add\.add cannot be called so: "):
        add.call("add", 5)
    with pytest.raises(WasmError, match=r"^wasm add\.add cannot be called so: "):
        add.call("add", "5", "7")  # type: ignore[arg-type]  # a caller without type checks


def test_each_call_gets_a_fresh_instance(tmp_path: Path) -> None:
    (tmp_path / "counter.wat").write_text(COUNTER)
    counter = load_module("counter", tmp_path / "counter.wat")
    assert [counter.call("bump") for _ in range(3)] == [1, 1, 1]
    assert counter.call("half", 5.0) == 2.5


def test_an_unreadable_path_is_a_wasm_error(tmp_path: Path) -> None:
    with pytest.raises(WasmError, match=r"^cannot be read: "):
        load_module("gone", tmp_path / "gone.wasm")


def _compile_and_add(tmp_path: Path) -> None:
    """In a forked child: compile a module anew and call it; exit 0 if it added up."""
    (tmp_path / "child.wat").write_text(COUNTER)
    module = load_module("child", tmp_path / "child.wat")
    raise SystemExit(0 if module.call("half", 5.0) == 2.5 else 1)


def test_a_process_forked_after_a_compile_compiles_too(tmp_path: Path) -> None:
    # a compile on a thread pool of wasmtime's own hung in a forked child, whose copy of the pool
    # has no threads: a preforking server (or mutmut's runner) that loaded an app with WASM first
    load_module("add", WASM / "add.wasm")  # the parent compiles first
    child = multiprocessing.get_context("fork").Process(target=_compile_and_add, args=(tmp_path,))
    child.start()
    child.join(timeout=30)
    if child.is_alive():
        child.kill()
        child.join()
    assert child.exitcode == 0
