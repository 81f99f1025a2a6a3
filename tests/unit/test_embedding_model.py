"""The embedding model: bundled in its wheel, loaded offline, lazily, and once per process.

Each test runs a fresh Python process, so what it imports is its own: the pytest process has
long since loaded the model for other tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

NO_NETWORK = """
import socket

def refuse(*args, **kwargs):
    raise OSError("the network is unreachable in this test")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
"""


def _python(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("HF_HOME", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_model_loads_and_embeds_with_no_network_and_no_cache(tmp_path: Path) -> None:
    result = _python(
        NO_NETWORK
        + """
from kiln.embeddings import embed
vectors = embed(["a loaf of bread", "baking bread at home", "tuning a violin"])
print(vectors.shape, vectors.dtype)
print(round(float(vectors[0] @ vectors[1]), 2) > round(float(vectors[0] @ vectors[2]), 2))
""",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["(3, 256) float32", "True"]
    assert list(tmp_path.iterdir()) == []  # nothing was cached in HOME, nothing downloaded


@pytest.mark.slow
def test_the_model_loads_on_the_first_embedding_never_when_an_app_starts(tmp_path: Path) -> None:
    result = _python(
        """
import sys
from harness import TestApp
from kiln import embeddings

def state(step):
    print(step, "wordllama" in sys.modules, embeddings.loaded())

with TestApp("tests/fixtures/todo-app") as todo:
    assert todo.post("/api/todos", json={"title": "a"}).status_code == 201
    state("todo-app")
with TestApp("tests/fixtures/blog-app") as blog:
    state("blog-app started")
    assert blog.get("/api/posts/search", params={"q": "bread"}).status_code == 200
    state("keyword search")
    author = blog.post("/api/authors", json={"name": "Ann"}).json()["id"]
    state("author created")
    assert blog.post("/api/posts", json={"title": "Bread", "author_id": author}).status_code == 201
    state("post created")
""",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "todo-app False False",  # no search fields: never loaded
        "blog-app started False False",
        "keyword search False False",  # FTS5 needs no model
        "author created False False",  # authors are not searched
        "post created True True",  # the post's embedding is stored with it
    ]


def test_the_model_is_loaded_once_when_many_threads_ask_at_once(tmp_path: Path) -> None:
    result = _python(
        """
import threading
import wordllama
from kiln import embeddings

loads = []
real = wordllama.WordLlama.load
def counting(*args, **kwargs):
    loads.append(1)
    return real(*args, **kwargs)
wordllama.WordLlama.load = counting

barrier = threading.Barrier(8)
def work():
    barrier.wait()
    embeddings.embed(["bread"])
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(loads))
""",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
