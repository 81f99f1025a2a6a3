"""``[wasm]`` modules: compiled once with wasmtime, called with a fuel limit and no host access.

A module is compiled when the app compiles (:func:`load_module`), so a broken module is a manifest
error and never a failing request. Each :meth:`WasmModule.call` instantiates it in a store of its
own with :data:`FUEL` units of fuel: calls share no memory, a runaway loop stops when its fuel
runs out, and a trap in one call leaves the next untouched. A module gets no WASI and no imports
at all, so it can compute and nothing else.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

__all__ = ["FUEL", "WasmError", "WasmModule", "load_module"]

#: The fuel one call may burn: about ten million simple instructions.
FUEL = 10_000_000


class WasmError(Exception):
    """A call into a module failed: it trapped, ran out of fuel, or was called wrongly."""


@functools.cache
def _engine() -> Any:
    import wasmtime

    config = wasmtime.Config()
    config.consume_fuel = True
    # compile on the calling thread: wasmtime's pool of compiling threads does not survive a fork,
    # and a forked child (a preforking server, mutmut's runner) hung at its first compile. A
    # kiln module is small; its compile gains nothing from threads.
    config.parallel_compilation = False
    return wasmtime.Engine(config)


class WasmModule:
    """One compiled module; ``call(export, *args)`` runs an exported function."""

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self._module = module
        #: The names of the module's exported functions, in the module's order.
        self.exports = tuple(export.name for export in module.exports if _is_function(export.type))

    def call(self, export: str, *args: int | float) -> Any:
        """Call ``export`` with ``args`` in a fresh instance; raises :class:`WasmError`."""
        import wasmtime

        if export not in self.exports:
            known = ", ".join(self.exports) or "none"
            raise WasmError(f"wasm module {self.name!r} has no function {export!r} (it exports: {known})")
        store = wasmtime.Store(_engine())
        store.set_fuel(FUEL)
        try:
            instance = wasmtime.Instance(store, self._module, [])
            function: Any = instance.exports(store)[export]
            return function(store, *args)
        except wasmtime.Trap as exc:
            raise WasmError(f"wasm {self.name}.{export} trapped: {_cause(exc)}") from None
        except (wasmtime.WasmtimeError, TypeError) as exc:
            raise WasmError(f"wasm {self.name}.{export} cannot be called so: {_cause(exc)}") from None

    def __repr__(self) -> str:
        return f"<WasmModule {self.name} exports={list(self.exports)}>"


_LOCATION = re.compile(r"^--> .*:(\d+):(\d+)$")
_EXCERPT = re.compile(r"^(\d+\s*)?\|")


def load_module(name: str, path: Path) -> WasmModule:
    """Compile the module at ``path`` (binary ``.wasm`` or text ``.wat``); raises :class:`WasmError`
    saying why it cannot be used."""
    import wasmtime

    try:
        source = path.read_bytes()
    except OSError as exc:
        raise WasmError(f"cannot be read: {exc.strerror or exc}") from None
    if path.suffix != ".wat" and not source.startswith(b"\0asm"):
        raise WasmError(
            "is not a WebAssembly binary: it does not start with \\0asm (a text module ends in .wat)"
        )
    try:
        text = source.decode() if path.suffix == ".wat" else source
        module = wasmtime.Module(_engine(), text)
    except (wasmtime.WasmtimeError, UnicodeDecodeError) as exc:
        raise WasmError(f"is not a valid WebAssembly module: {_cause(exc)}") from None
    if module.imports:
        wanted = ", ".join(f"{item.module}.{item.name}" for item in module.imports)
        raise WasmError(f"imports {wanted}: a kiln module gets no host functions and no WASI")
    return WasmModule(name, module)


def _is_function(kind: Any) -> bool:
    import wasmtime

    return isinstance(kind, wasmtime.FuncType)


def _cause(exc: BaseException) -> str:
    """What wasmtime says went wrong, without its backtrace or source excerpt: the last line of its
    message, and where in a ``.wat`` text the problem is."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    where = next((_LOCATION.match(line) for line in lines if _LOCATION.match(line)), None)
    said = [line for line in lines if not _EXCERPT.match(line) and not _LOCATION.match(line)]
    cause = said[-1] if said else type(exc).__name__
    return f"{cause} (line {where.group(1)}, column {where.group(2)})" if where else cause
