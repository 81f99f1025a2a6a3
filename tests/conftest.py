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
