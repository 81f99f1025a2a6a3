""".ci/remote's report: the count it prints, and the skips it refuses for naming no reason."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import ci_scripts
import pytest

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="tests.integration.entity.test_list" name="test_a">
    <properties><property name="harness_app" value="todo-app"/></properties>
  </testcase>
  <testcase classname="tests.integration.entity.test_list" name="test_b">
    <properties><property name="harness_app" value="todo-app"/></properties>
    <skipped message="local_only: uses TestApp.db, which remote mode does not have"/>
  </testcase>
  <testcase classname="tests.integration.fk.test_with" name="test_c">
    <properties><property name="harness_app" value="blog-app"/></properties>
  </testcase>
  <testcase classname="tests.integration.auth.test_tokens" name="test_d">
    <skipped message="remote mode: this test is for 'auth', but http://x serves 'todo'"/>
  </testcase>
  {extra}
</testsuite></testsuites>
"""


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return ci_scripts.load("remote")


def test_report_counts_what_ran_per_category_and_app(
    runner: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT.format(extra=""))
    assert runner.report(junit) == (4, 2, [])
    out = capsys.readouterr().out
    assert "remote: 2 of 4 integration tests ran against kiln serve and kiln host (50.0%); 2 skipped" in out
    assert "category entity     ran    1  skipped    1" in out
    assert "category fk         ran    1  skipped    0" in out
    assert "app      blog-app         ran    1  skipped    0" in out


def test_report_refuses_a_skip_that_names_no_reason(runner: ModuleType, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    bad = '<testcase classname="tests.integration.fk.test_with" name="test_e"><skipped message="flaky"/></testcase>'
    junit.write_text(JUNIT.format(extra=bad))
    tests, ran, bad_skips = runner.report(junit)
    assert (tests, ran) == (5, 2)
    assert bad_skips == ["tests.integration.fk.test_with::test_e: flaky"]
