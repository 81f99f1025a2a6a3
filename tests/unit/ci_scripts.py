"""Load one of the scripts in ``.ci/`` (files without ``.py``) as a module, to test its functions."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

CI = Path(__file__).parents[2] / ".ci"


def load(name: str) -> ModuleType:
    """``.ci/<name>`` as the module ``ci_<name>``; its ``main`` is not run."""
    loader = importlib.machinery.SourceFileLoader(f"ci_{name}", str(CI / name))
    spec = importlib.util.spec_from_loader(f"ci_{name}", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
