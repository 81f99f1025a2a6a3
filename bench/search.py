"""Search at 100,000 documents: kiln's keyword endpoint against the same FTS5 query in raw sqlite3
and against Datasette's FTS search, and kiln's semantic and hybrid endpoints.

The documents are search-app's corpus (tests/fixtures/search-app/corpus.py), generated up to the
count asked for, each also naming three of 20,000 made-up places drawn with Zipf's law, as words
are spread in real text. Three kinds of two-word query are timed: *common* pairs of topic words
(each matches about 2,000 documents, all ranked to find the best 20), *specific* pairs of a topic
word and a place (about 20 matches, found among the topic word's 6,000), and pairs of two
*places* one document names. kiln serves search-app; Datasette serves a copy of the same rows with an FTS5
table made by sqlite-utils, as ``datasette`` would. Both are served the same way (TestApp: uvicorn
on a real socket) and driven by one httpx client each. They take turns in blocks of ten
requests, the ten queries of a kind, so that noise hits all alike but each is timed as a server
busy with its own work is: one request just after a 40 ms Datasette request, or after a
semantic search's scan of the 100 MB vector matrix, finds the CPU's caches cold and takes about
twice as long. Semantic and hybrid search are timed after the keyword rivals, taking turns with
each other. Each request is a two-word query answered with a page of 20. Prints medians, p95
(which the first request of each block lands in) and ratios from this one run.

    python bench/search.py [--documents 100000] [--requests 300]

Needs Datasette (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from harness import TestApp

ROOT = Path(__file__).parents[1]
SEARCH_APP = ROOT / "tests" / "fixtures" / "search-app"
COMMON = [
    "telescope galaxy",
    "dough oven",
    "harbour sail",
    "chord tempo",
    "tyre brake",
    "soil root",
    "faint comet",
    "golden crust",
    "calm mooring",
    "steep descent",
]
_BLOCK = len(COMMON)  # requests a contender answers in a row


def _corpus() -> Any:
    spec = importlib.util.spec_from_file_location("corpus", SEARCH_APP / "corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise SystemExit(
            f"bench: {response.request.url} answered {response.status_code}: {response.text[:300]}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    try:
        from datasette.app import Datasette
    except ImportError:
        print("bench: Datasette is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    import sqlite_utils

    logging.getLogger("uvicorn.access").disabled = True
    corpus = _corpus()
    places = corpus.place_names(20_000)
    articles = corpus.articles(args.documents - len(corpus.ANCHORS), places=places)
    # a topic word and a place of middling rank: a search for something in particular
    specific = [f"{pair.split()[0]} {places[40 + 7 * n]}" for n, pair in enumerate(COMMON)]
    # the first and last place the n-thousandth article names
    named = [
        re.search(r"Written in (\w+), \w+ and (\w+)\.$", articles[1000 * n + 500]["body"]) for n in range(10)
    ]
    two_places = [f"{found.group(1)} {found.group(2)}" for found in named if found is not None]
    kinds = {"common": COMMON, "specific": specific, "places": two_places}
    now = "2030-01-01T00:00:00.000Z"
    rows = [{**article, "created_at": now, "updated_at": now} for article in articles]
    with tempfile.TemporaryDirectory(prefix="kiln-bench-search-") as tmp, TestApp(SEARCH_APP) as kiln:
        started = time.perf_counter()
        kiln.db["articles"].insert_all(rows, batch_size=5000)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        # the first semantic search embeds every document written with plain SQL
        _ok(kiln.get("/api/articles/search", params={"q": "bread", "mode": "semantic"}, timeout=None))
        embedded = time.perf_counter() - started
        print(
            f"{len(rows):,} documents: inserted and indexed in {loaded:.1f} s, embedded in {embedded:.1f} s"
        )

        datasette_db = Path(tmp) / "search.db"
        copy = sqlite_utils.Database(datasette_db)
        copy["articles"].insert_all(
            ({"id": n, **article} for n, article in enumerate(articles, start=1)), pk="id", batch_size=5000
        )
        copy["articles"].enable_fts(["title", "body"], create_triggers=True)
        copy.conn.close()
        datasette = Datasette([str(datasette_db)], settings={"default_page_size": 20})

        raw = sqlite3.connect(kiln.db_path)
        raw_sql = (
            "SELECT a.id, a.title, a.body, a.topic, a.level, a.created_at, a.updated_at, "
            "bm25(_kiln_search_articles, 3.0, 1.0) AS rank FROM _kiln_search_articles "
            "JOIN articles AS a ON a.id = _kiln_search_articles.rowid "
            "WHERE _kiln_search_articles MATCH ? ORDER BY rank LIMIT 20"
        )
        with TestApp(datasette.app()) as served:
            calls: dict[str, Callable[[str], Any]] = {
                "kiln": lambda q: kiln.get("/api/articles/search", params={"q": q}),
                "sqlite3": lambda q: raw.execute(raw_sql, [q]).fetchall(),
                "datasette": lambda q: served.get("/search/articles.json", params={"_search": q}),
                "semantic": lambda q: kiln.get("/api/articles/search", params={"q": q, "mode": "semantic"}),
                "hybrid": lambda q: kiln.get("/api/articles/search", params={"q": q, "mode": "hybrid"}),
            }
            for queries in kinds.values():  # warm up: caches, the model, connections
                for call in calls.values():
                    result = call(queries[0])
                    if isinstance(result, httpx.Response):
                        _ok(result)
            matches = {
                kind: statistics.mean(
                    kiln.get("/api/articles/search", params={"q": q}).json()["total"] for q in queries
                )
                for kind, queries in kinds.items()
            }
            timings: dict[tuple[str, str], list[float]] = {}
            # keyword search against its rivals, then the modes that scan every vector: a scan
            # of the 100 MB matrix empties the CPU's caches for whatever runs after it
            for group in (("kiln", "sqlite3", "datasette"), ("semantic", "hybrid")):
                for _ in range(args.requests // _BLOCK):
                    for kind, queries in kinds.items():
                        for name in group:
                            call = calls[name]
                            timings.setdefault((kind, name), []).extend(
                                _timed(lambda call=call, q=q: call(q)) for q in queries[:_BLOCK]
                            )
        raw.close()

    def p95(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.95) - 1]

    labels = {
        "kiln": "kiln keyword  /api/articles/search",
        "sqlite3": "raw sqlite3 FTS5 (no HTTP)",
        "datasette": "Datasette ?_search= (.json)",
        "semantic": "kiln mode=semantic",
        "hybrid": "kiln mode=hybrid",
    }
    print(f"\n{args.requests} queries of each kind, a page of 20, from this one run:")
    for kind in kinds:
        base = statistics.median(timings[(kind, "datasette")])
        print(f"\n{kind} two-word queries (about {matches[kind]:,.0f} keyword matches each)")
        print(f"{'':<36}{'p50 ms':>9}{'p95 ms':>9}{'vs Datasette':>14}")
        for name, label in labels.items():
            values = timings[(kind, name)]
            median = statistics.median(values)
            print(f"  {label:<34}{median:>9.2f}{p95(values):>9.2f}{median / base:>13.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
