"""TestApp lifecycle against Starlette's TestClient and a stock uvicorn.Server, side by side.

One cycle is: a fresh data directory, start the app, one GET, stop (and remove the directory).
Variants run interleaved, round by round, so a noisy neighbour slows them all alike. Prints the
median per variant and its ratio to TestApp.

    python bench/testapp_lifecycle.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

with warnings.catch_warnings():  # Starlette suggests httpx2 for TestClient; the comparison stands
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from harness import TestApp
from kiln.compiler import compile_app

TODO_APP = Path(__file__).parents[1] / "tests" / "fixtures" / "todo-app"


def kiln_app(data_dir: Path) -> Starlette:
    compiled = compile_app(TODO_APP)
    compiled.prepare(data_dir)
    return compiled.build(data_dir)


def cycle_testapp() -> None:
    with TestApp(TODO_APP) as app:
        assert app.get("/health").status_code == 200


def cycle_testclient() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with TestClient(kiln_app(data_dir)) as client:  # `with` runs lifespan
            assert client.get("/health").status_code == 200
    finally:
        shutil.rmtree(data_dir)


def cycle_uvicorn_thread() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        server = uvicorn.Server(uvicorn.Config(kiln_app(data_dir), port=0, log_config=None, access_log=False))
        thread = threading.Thread(target=server.run)
        thread.start()
        while not server.started:
            time.sleep(0.0005)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(verify=False, trust_env=False) as client:
            assert client.get(f"http://127.0.0.1:{port}/health").status_code == 200
        server.should_exit = True
        thread.join()
    finally:
        shutil.rmtree(data_dir)


VARIANTS: dict[str, tuple[Callable[[], None], int]] = {
    # name: (one cycle, run it every Nth round) — stock uvicorn takes ~200 ms a cycle
    "TestApp (kiln todo-app)": (cycle_testapp, 1),
    "Starlette TestClient + lifespan": (cycle_testclient, 1),
    "stock uvicorn.Server in a thread": (cycle_uvicorn_thread, 10),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # uvicorn's startup lines are not what we measure
    for cycle, _ in VARIANTS.values():  # warm up imports, caches and the template database
        cycle()
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_number in range(args.rounds):
        for name, (cycle, every) in VARIANTS.items():
            if round_number % every:
                continue
            started = time.perf_counter()
            cycle()
            samples[name].append((time.perf_counter() - started) * 1000)
    baseline = statistics.median(samples["TestApp (kiln todo-app)"])
    print(f"{'variant':<36} {'n':>5} {'median ms':>10} {'p90 ms':>8} {'vs TestApp':>11}")
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{name:<36} {len(values):>5} {median:>10.2f} {p90:>8.2f} {median / baseline:>10.2f}x")
    print(f"\nbudget: TestApp median <= 5 ms and <= TestClient: median {baseline:.2f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
