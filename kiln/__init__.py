"""kiln: a declarative app server. An app folder compiles into a Starlette app on embedded SQLite."""

from kiln.clock import Clock
from kiln.compiler import CompiledApp, compile_app
from kiln.errors import KilnError, ManifestError, Problem

__all__ = ["Clock", "CompiledApp", "KilnError", "ManifestError", "Problem", "compile_app"]
__version__ = "0.1.0"
