"""The harness reaches kiln through harness/kiln_adapter.py only, and only for kiln folders."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HARNESS = Path(__file__).parents[2] / "harness"

PLAIN_APP = """
import sys
from harness import TestApp

async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"plain"})

with TestApp(app) as served:
    assert served.get("/").text == "plain"
    served.clock.set("2030-01-01T00:00:00Z")
print(sorted(name for name in sys.modules if name == "kiln" or name.startswith("kiln.")))
"""


def test_serving_a_plain_asgi_app_never_imports_kiln() -> None:
    done = subprocess.run([sys.executable, "-c", PLAIN_APP], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_serving_a_kiln_folder_imports_kiln() -> None:
    code = PLAIN_APP.replace("TestApp(app)", "TestApp('tests/fixtures/todo-app')").replace(
        'served.get("/").text == "plain"', 'served.get("/health").json()["app"] == "todo"'
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=HARNESS.parent
    )
    assert done.returncode == 0, done.stderr
    assert "'kiln.compiler'" in done.stdout  # a positive control for the test above


def _runtime_kiln_imports(path: Path) -> list[int]:
    """Lines of ``path`` that import kiln at run time (imports under ``if TYPE_CHECKING:`` are not)."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if id(node) not in type_only
        and (
            (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "kiln")
            or (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "kiln" for a in node.names))
        )
    ]


def test_only_the_adapter_imports_kiln() -> None:
    importers = sorted(path.name for path in HARNESS.glob("*.py") if _runtime_kiln_imports(path))
    # and harness.workflows, the conformance suite of kiln's EventStore: `import harness` does not
    # import it (the test above), so a plain ASGI app never loads kiln through it
    assert importers == ["kiln_adapter.py", "workflows.py"]
