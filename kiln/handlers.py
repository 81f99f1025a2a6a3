"""Load an app's optional ``handlers.py`` without letting its errors escape as tracebacks."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from itertools import count
from pathlib import Path
from types import ModuleType

__all__ = ["HANDLERS_FILE", "UNIMPORTABLE", "load_handlers"]

HANDLERS_FILE = "handlers.py"

#: Stands for a ``handlers.py`` that exists but failed to import, whose error is reported already:
#: checks of ``handlers:<fn>`` references say nothing more about it.
UNIMPORTABLE = ModuleType("handlers", "a handlers.py that failed to import")
_serial = count(1)


def load_handlers(folder: Path) -> tuple[ModuleType | None, str | None]:
    """Import ``folder/handlers.py`` as a private module: ``(module, None)``, ``(None, None)`` if
    there is no file, or ``(None, message)`` naming the line that failed."""
    path = folder / HANDLERS_FILE
    if not path.is_file():
        return None, None
    # A unique module name per load: two apps (or two versions of one) never share handler state.
    name = f"kiln_app_handlers_{next(_serial)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        del sys.modules[name]
        raise
    except (
        BaseException
    ) as exc:  # SystemExit too: a handlers.py that exits is a broken app, not a reason to stop
        del sys.modules[name]
        return None, _describe(exc, path)
    return module, None


def _describe(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError):
        return f"line {exc.lineno}: {exc.msg}"
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == str(path)]
    where = f"line {lines[-1]}: " if lines else ""
    return f"{where}{type(exc).__name__}: {exc}"
