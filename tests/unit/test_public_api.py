"""The public names of both packages are pinned: changing them is a decision, not an accident."""

from __future__ import annotations

import harness
import kiln


def test_harness_public_api() -> None:
    assert sorted(harness.__all__) == sorted(
        [
            "RUN_ID",
            "AppClock",
            "Exchange",
            "HarnessError",
            "LocalOnly",
            "LogBuffer",
            "Message",
            "NoDatabase",
            "Queries",
            "Row",
            "Scenario",
            "StartError",
            "StartTimeout",
            "StopError",
            "Stored",
            "TargetError",
            "TestApp",
            "UserClient",
            "assert_error",
            "assert_subset",
            "receive",
            "run",
            "settle",
            "unique_id",
            "WrongRemoteApp",
        ]
    )
    for name in harness.__all__:
        assert getattr(harness, name) is not None


def test_kiln_public_api() -> None:
    assert sorted(kiln.__all__) == [
        "Clock",
        "CompiledApp",
        "KilnError",
        "ManifestError",
        "Problem",
        "compile_app",
    ]


def test_harness_errors_share_one_base() -> None:
    for name in [
        "LocalOnly",
        "NoDatabase",
        "StartError",
        "StartTimeout",
        "StopError",
        "TargetError",
        "WrongRemoteApp",
    ]:
        assert issubclass(getattr(harness, name), harness.HarnessError)
    assert issubclass(harness.StartTimeout, harness.StartError)
