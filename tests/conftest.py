"""Shared by both halves of the suite: under mutation testing, every test compiles its apps afresh."""

from __future__ import annotations

import os

import pytest

from kiln.compiler import clear_cache


@pytest.fixture(autouse=True)
def _compile_afresh_under_mutmut() -> None:
    """mutmut runs a mutant against the tests that reached its function, recorded in one process.

    kiln compiles each app once per process, so without this only the first test to compile an
    app would be recorded as reaching the manifest, the routes and OpenAPI, and a mutant there
    would be tried against that one test. Outside mutmut this does nothing.
    """
    if os.environ.get("MUTANT_UNDER_TEST"):
        clear_cache()


#: For pytest sessions run inside this one. A nested session's faulthandler plugin enables
#: faulthandler and, at its end, puts back the signal handlers it found; by then wasmtime may have
#: installed its own (it turns a WebAssembly trap into SIGILL and catches it), and they would be
#: lost, so a later trap would kill this process. Nested sessions leave faulthandler alone.
NESTED_SESSION_ARGS = ("-p", "no:faulthandler")


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytest's ``pytester``, whose in-process runs leave faulthandler alone (see above)."""
    run_inprocess = pytester.runpytest_inprocess

    def without_faulthandler(*args: str | os.PathLike[str], **kwargs: object) -> pytest.RunResult:
        return run_inprocess(*NESTED_SESSION_ARGS, *args, **kwargs)  # type: ignore[arg-type]

    pytester.runpytest_inprocess = without_faulthandler  # type: ignore[method-assign]
    return pytester
