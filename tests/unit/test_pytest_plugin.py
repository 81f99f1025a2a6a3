"""The pytest plugin, tested the way pytest plugins are: pytester writes a test suite and runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sample_apps

from harness import TestApp

MANIFEST = '[app]\nname = "demo"\n[entities.Note.fields]\ntext = { type = "text" }\n'


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a fixture app at tests/fixtures/demo-app."""
    pytester.mkdir("tests")
    pytester.mkdir("tests/fixtures")
    app_dir = pytester.mkdir("tests/fixtures/demo-app")
    (app_dir / "app.toml").write_text(MANIFEST)
    return pytester


def test_plugin_test_app_resolves_fixture_names(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        def test_health(test_app):
            app = test_app("demo-app")
            assert app.get("/health").json()["app"] == "demo"
            assert app.data_dir.parent.name == "harness"
        """
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_plugin_kiln_fixtures_ini_option_moves_the_folder(pytester: pytest.Pytester) -> None:
    (pytester.mkdir("apps") / "other-app").mkdir()
    (pytester.path / "apps" / "other-app" / "app.toml").write_text('[app]\nname = "other"\n')
    pytester.makeini("[pytest]\nkiln_fixtures = apps\n")
    pytester.makepyfile(
        test_one="""
        def test_health(test_app):
            assert test_app("other-app").get("/health").json()["app"] == "other"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_plugin_unknown_fixture_name_lists_known_ones(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        def test_typo(test_app):
            test_app("demo-ap")
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=0, failed=1)
    result.stdout.fnmatch_lines(["*no fixture app named 'demo-ap'*(known: demo-app)*"])


def test_plugin_app_fixture_follows_marker(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        import pytest

        @pytest.mark.app("demo-app")
        def test_marked(app):
            assert app.get("/health").json()["app"] == "demo"

        def test_unmarked(app):
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*uses the `app` fixture without naming an app*@pytest.mark.app*"])


def test_plugin_passes_settings_through_test_app(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        f"""
        import sys
        sys.path.insert(0, {str(Path(sample_apps.__file__).parent)!r})
        """
    )
    suite.makepyfile(
        test_one="""
        import sample_apps

        def test_settings(test_app):
            app = test_app(sample_apps.settings_factory, settings={"tone": "dry"})
            assert app.get("/settings").json() == {"tone": "dry"}
        """
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_plugin_marks_categories_from_folders(suite: pytest.Pytester) -> None:
    for category in ("entity", "routing"):
        folder = suite.path / "tests" / "integration" / category
        folder.mkdir(parents=True)
        (folder / f"test_{category}_cases.py").write_text("def test_case():\n    pass\n")
    (suite.path / "tests" / "test_other.py").write_text("def test_case():\n    pass\n")
    suite.runpytest("-m", "entity").assert_outcomes(passed=1)
    suite.runpytest("-k", "routing").assert_outcomes(passed=1)
    suite.runpytest("-m", "not entity and not routing").assert_outcomes(passed=1)
    suite.runpytest("--strict-markers").assert_outcomes(passed=3)


def test_plugin_registers_markers_and_options(pytester: pytest.Pytester) -> None:
    markers = pytester.runpytest("--markers")
    for name in (
        "entity:",
        "fk:",
        "errors:",
        "regression:",
        "local_only(reason):",
        "browser:",
        "slow:",
        "app(name",
    ):
        markers.stdout.fnmatch_lines([f"@pytest.mark.{name}*"])
    help_text = pytester.runpytest("--help")
    help_text.stdout.fnmatch_lines(["kiln harness:", "*--base-url=URL*", "*--keep-data*", "*kiln_fixtures*"])


def test_plugin_fixtures_have_docstrings(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "test_app -- *",
            "*Start apps for this test*",
            "*a fixture app name such as*",
            "*kiln folder path, or its ``app.toml``*",
            "*ASGI app (``(scope, receive, send)`` or ``*args``, class instances included)*",
            '*taking no argument, or one taking the data directory; or a ``"package.module:attr"``*',
            "*With ``--base-url``*",
        ]
    )
    result.stdout.fnmatch_lines(["app -- *", "*@pytest.mark.app*"])


def test_plugin_failure_report_shows_diagnostics_and_keeps_data(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        def test_fails(test_app):
            app = test_app("demo-app")
            app.get("/health")
            app.get("/not-here")
            assert False, "deliberate"
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- kiln diagnostics: demo -*",
            "*log tail*",
            "*GET /health -> 200*",
            "*GET /not-here -> 404*",
            "*notes: 0*",
            "data directory: *",
        ]
    )
    kept = Path(re.search(r"data directory: (\S+)", result.stdout.str()).group(1))  # type: ignore[union-attr]
    assert (kept / "kiln.db").exists()
    result.stdout.fnmatch_lines(["*harness: kept data directory of demo: *"])


def test_plugin_removes_data_of_passing_tests(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        def test_passes(test_app, request):
            app = test_app("demo-app")
            request.config.cache.set("seen/data_dir", str(app.data_dir))
        """
    )
    result = suite.runpytest("-p", "cacheprovider")
    result.assert_outcomes(passed=1)
    seen = suite.runpytest("--cache-show", "seen/*").stdout.str()
    data_dir = Path(re.search(r"'(/[^']+app-[^']+)'", seen).group(1))  # type: ignore[union-attr]
    assert data_dir.parent.name == "harness"
    assert not data_dir.exists()


def test_plugin_keep_data_option_keeps_passing_tests_data(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        import pathlib

        def test_passes(test_app):
            app = test_app("demo-app")
            print("DATA", app.data_dir)
        """
    )
    result = suite.runpytest("--keep-data", "-s")
    result.assert_outcomes(passed=1)
    data_dir = Path(re.search(r"DATA (\S+)", result.stdout.str()).group(1))  # type: ignore[union-attr]
    assert (data_dir / "kiln.db").exists()


def test_plugin_remote_mode_uses_base_url_and_skips_local_only(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        import pytest
        from harness import LocalOnly

        def test_remote(test_app):
            app = test_app("demo-app")
            assert app.remote
            assert app.get("/echo").json()["path"] == "/echo"
            with pytest.raises(LocalOnly):
                app.db

        @pytest.mark.local_only
        def test_needs_db(test_app):
            test_app("demo-app").db
        """
    )
    with TestApp(sample_apps.app) as server:  # stands in for a deployed server
        result = suite.runpytest("--base-url", server.url, "-rs")
        assert [e.path for e in server.requests] == ["/health", "/echo"]  # which app is it? then the test
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*local_only: needs the local server, and --base-url is set*"])


def test_plugin_skips_tests_reaching_local_features_in_remote_mode(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        import pytest

        @pytest.fixture
        def frozen(test_app):
            app = test_app("demo-app")
            app.clock.set("2030-01-01T00:00:00Z")
            return app

        def test_uses_db(test_app):
            assert test_app("demo-app").db["notes"].count == 0

        def test_uses_clock_in_fixture(frozen):
            pass

        def test_remote_safe(test_app):
            assert test_app("demo-app").get("/echo").status_code == 200
        """
    )
    with TestApp(sample_apps.app) as server:
        result = suite.runpytest("--base-url", server.url, "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*local_only: uses TestApp.db, which remote mode does not have*",
            "*local_only: uses TestApp.clock, which remote mode does not have*",
        ]
    )
    local = suite.runpytest("-k", "uses_db")  # locally the same test runs
    local.assert_outcomes(passed=1)


def test_plugin_works_under_xdist(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_many="""
        import pytest

        @pytest.mark.parametrize("n", range(20))
        def test_own_app(test_app, n):
            app = test_app("demo-app")
            app.db["notes"].insert({"text": f"n{n}", "created_at": "x", "updated_at": "x"})
            assert [row["text"] for row in app.db["notes"].rows] == [f"n{n}"]
        """
    )
    suite.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=20)


def test_plugin_diagnostics_failure_is_a_line_in_the_report_not_an_internal_error(
    suite: pytest.Pytester,
) -> None:
    suite.makepyfile(
        test_one="""
        from harness import TestApp

        def broken(self):
            raise LookupError("the log buffer went missing")

        def test_fails(test_app, monkeypatch):
            monkeypatch.setattr(TestApp, "diagnostics", broken)
            test_app("demo-app")
            assert False, "deliberate"
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*- kiln diagnostics: demo -*", "diagnostics failed: LookupError: the log buffer went missing"]
    )


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_plugin_keep_data_paths_are_in_the_terminal_summary(
    suite: pytest.Pytester, workers: list[str]
) -> None:
    suite.makepyfile(
        test_one="""
        import pytest

        @pytest.mark.parametrize("n", [1, 2])
        def test_passes(test_app, n):
            test_app("demo-app")
        """
    )
    result = suite.runpytest_subprocess("--keep-data", "-p", "no:cacheprovider", *workers)
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    assert "harness: kept data directories" in out
    kept = re.findall(r"test_one\.py::test_passes\[(\d)\]: (\S+)", out)
    assert sorted(n for n, _ in kept) == ["1", "2"]
    for _, path in kept:
        assert (Path(path) / "kiln.db").exists()


def test_plugin_closes_every_app_even_when_one_fails_to_stop(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_one="""
        import contextlib
        from starlette.applications import Starlette

        @contextlib.asynccontextmanager
        async def lifespan(app):
            yield
            raise OSError("disk vanished during shutdown")

        def test_two_apps(test_app, request):
            first = test_app("demo-app")
            test_app(Starlette(lifespan=lifespan))  # closed first, and its close fails
            request.config.stash_first = first
        """,
        conftest="""
        import pytest

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(session):
            first = getattr(session.config, "stash_first", None)
            print("FIRST CLOSED", first is not None and first.closed and not first._teardown.pending)
        """,
    )
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*FIRST CLOSED True*"])
    result.stdout.fnmatch_lines(
        ["*StopError: app lifespan shutdown failed: OSError: disk vanished during shutdown"]
    )


OTHER_MANIFEST = '[app]\nname = "other"\n[entities.Thing.fields]\nlabel = { type = "text" }\n'


@pytest.fixture
def two_app_suite(suite: pytest.Pytester) -> pytest.Pytester:
    """The demo suite plus a second fixture app, other-app, and a test for each."""
    other = suite.mkdir("tests/fixtures/other-app")
    (other / "app.toml").write_text(OTHER_MANIFEST)
    suite.makepyfile(
        test_two="""
        import pytest

        @pytest.mark.app("demo-app")
        def test_demo(app):
            assert app.post("/api/notes", json={"text": "hi"}).status_code == 201

        @pytest.mark.app("other-app")
        def test_other(app):
            assert app.post("/api/things", json={"label": "x"}).status_code == 201
        """
    )
    return suite


def test_plugin_remote_name_equals_url_sends_each_app_to_its_server(two_app_suite: pytest.Pytester) -> None:
    fixtures = two_app_suite.path / "tests" / "fixtures"
    with TestApp(fixtures / "demo-app") as demo, TestApp(fixtures / "other-app") as other:
        result = two_app_suite.runpytest(
            "--base-url", f"demo-app={demo.url}", "--base-url", f"other-app={other.url}"
        )
        result.assert_outcomes(passed=2)
        assert [r["text"] for r in demo.db["notes"].rows] == ["hi"]
        assert [r["label"] for r in other.db["things"].rows] == ["x"]


def test_plugin_remote_test_for_another_app_is_skipped_naming_both(two_app_suite: pytest.Pytester) -> None:
    with TestApp(two_app_suite.path / "tests" / "fixtures" / "demo-app") as demo:
        result = two_app_suite.runpytest("--base-url", demo.url, "-rs")
        result.assert_outcomes(passed=1, skipped=1)
        result.stdout.fnmatch_lines(
            [f"*remote mode: this test is for 'other', but {demo.url} serves 'demo'*"]
        )
        assert demo.db["notes"].count == 1
        assert [(e.method, e.path) for e in demo.requests].count(("POST", "/api/things")) == 0


def test_plugin_remote_app_without_a_url_is_skipped(two_app_suite: pytest.Pytester) -> None:
    with TestApp(two_app_suite.path / "tests" / "fixtures" / "demo-app") as demo:
        result = two_app_suite.runpytest("--base-url", f"demo-app={demo.url}", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*remote mode: no --base-url for the app 'other-app' (give other-app=URL)*"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["localhost:8000"], "--base-url 'localhost:8000': expected URL or NAME=URL"),
        (["http://a:1", "http://b:2"], "a URL for every app is given twice; use NAME=URL"),
    ],
    ids=["no-scheme", "two-default-urls"],
)
def test_plugin_bad_base_url_is_a_usage_error(
    suite: pytest.Pytester, values: list[str], message: str
) -> None:
    suite.makepyfile(test_one="def test_one(test_app):\n    test_app('demo-app')\n")
    args = [arg for value in values for arg in ("--base-url", value)]
    result = suite.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])
