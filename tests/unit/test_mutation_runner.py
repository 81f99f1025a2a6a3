""".ci/mutation's report: the score per package, and which survivors it calls equivalent, and why."""

from __future__ import annotations

from types import ModuleType

import ci_scripts
import pytest


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return ci_scripts.load("mutation")


def _diff(before: str, after: str) -> str:
    return f"# x: survived\n--- kiln/m.py\n+++ kiln/m.py\n@@ -1,3 +1,3 @@\n def f():\n-{before}\n+{after}\n     pass"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            '    "UPDATE users SET password_hash = ?, updated_at = ? "',
            '    "update users set password_hash = ?, updated_at = ? "',
        ),
        ('    "WHERE id = ? RETURNING token_version",', '    "WHERE ID = ? RETURNING TOKEN_VERSION",'),
        (
            '    if conn.execute("SELECT 1 FROM users WHERE email = ?", [email]):',
            '    if conn.execute("select 1 from users where email = ?", [email]):',
        ),
        # quoted values the same, the rest in another case
        (
            "    \"AND coalesce(due_at, '') <= ? AND coalesce(lease_until, '') <= ? \"",
            "    \"AND COALESCE(DUE_AT, '') <= ? AND COALESCE(LEASE_UNTIL, '') <= ? \"",
        ),
        (
            '    "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",',
            '    "order by created_at desc, rowid desc limit ? offset ?",',
        ),
    ],
)
def test_a_case_change_in_sql_is_equivalent(runner: ModuleType, before: str, after: str) -> None:
    assert runner.equivalent(_diff(before, after)) == "SQL keywords and identifiers are case-insensitive"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # a message to people, not SQL
        (
            '    raise TokenError("the token is not a valid token")',
            '    raise TokenError("THE TOKEN IS NOT A VALID TOKEN")',
        ),
        # a quoted SQL value keeps its case
        (
            "    \"SELECT name FROM sqlite_master WHERE type = 'table'\"",
            "    \"SELECT NAME FROM SQLITE_MASTER WHERE TYPE = 'TABLE'\"",
        ),
        # more than the case changed
        ('    "SELECT id FROM posts"', '    "XXSELECT id FROM postsXX"'),
        # a quoted value changed, beside SQL whose case changed
        (
            "    \"WHERE status NOT IN ('completed', 'failed')\"",
            "    \"where status not in ('COMPLETED', 'failed')\"",
        ),
        # one keyword is too little to call it SQL
        ('    where.append("status = ?")', '    where.append("STATUS = ?")'),
        # Python comparing with SQL text is code, and "select" is not "SELECT" to it
        ('    return s.upper().startswith("SELECT")', '    return s.upper().startswith("select")'),
    ],
)
def test_other_survivors_are_not_equivalent(runner: ModuleType, before: str, after: str) -> None:
    assert runner.equivalent(_diff(before, after)) is None


def test_two_changed_lines_are_not_judged(runner: ModuleType) -> None:
    diff = _diff('    "SELECT 1"\n-    "FROM t"', '    "select 1"\n+    "from t"')
    assert runner.equivalent(diff) is None


def test_package_of_a_mutant(runner: ModuleType) -> None:
    assert runner.package_of("kiln.auth.endpoints.xǁ_Endpointsǁregister__mutmut_6") == "kiln.auth"
    assert runner.package_of("kiln.records.x_validate__mutmut_3") == "kiln.records"
    assert runner.package_of("harness.server.x_serve__mutmut_12") == "harness.server"


def test_report_scores_what_can_be_told_apart(runner: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    statuses = {
        "kiln.store.schema.x_migrate__mutmut_1": "killed",
        "kiln.store.schema.x_migrate__mutmut_2": "killed",
        "kiln.store.schema.x_migrate__mutmut_3": "survived",
        "kiln.store.schema.x_migrate__mutmut_4": "survived",
        "kiln.store.database.x_open__mutmut_1": "timeout",
        "kiln.errors.x_for_status__mutmut_1": "no tests",
    }
    diffs = {
        "kiln.store.schema.x_migrate__mutmut_3": _diff('    "DROP TABLE x"', '    "drop table x"'),
        "kiln.store.schema.x_migrate__mutmut_4": _diff("    return changes", "    return None"),
    }
    assert runner.report(statuses, diffs) == ["kiln.store.schema.x_migrate__mutmut_4"]
    out = capsys.readouterr().out.splitlines()
    assert "  kiln.errors                  0 / 1       0.0%  (0 equivalent)" in out
    assert "  kiln.store                   3 / 4      75.0%  (1 equivalent)" in out
    assert (
        "  equivalent: kiln.store.schema.x_migrate__mutmut_3: SQL keywords and identifiers are case-insensitive"
        in out
    )
