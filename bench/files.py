"""A 20 MB upload and its download through kiln, against a hand-written Starlette endpoint.

kiln: ``POST /api/_files`` of an app with ``[files] max_size = "200MB"`` (multipart, streamed through python-multipart into a temporary file,
hashed as it arrives, its type sniffed, renamed into ``blobs/``, its row written) and
``GET /files/{id}/{name}``. The hand-written app streams the same request's body to a file with
``request.stream()`` and serves it back with ``FileResponse``: the least a developer could write.
A third endpoint also parses the part out with python-multipart and hashes it with sha256, the
work no content-addressed store can skip, to show how much of the difference is that work.
Both are served the same way (TestApp: uvicorn on a real socket) and driven by one httpx client
each, which streams the upload from a file on disk. They alternate round by round, each upload's
first bytes changed so no two are the same file. Also prints the peak of memory the process
allocated (tracemalloc, every thread, the server's included) during one upload of each: if
either read the body whole it would show 20 MB.

    python bench/files.py [--rounds 15] [--megabytes 20]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from harness import TestApp

#: file-app's files, with room for the bench's upload.
MANIFEST = """
[app]
name = "bench-files"

[auth]

[files]
max_size = "200MB"
"""


def hand_written(folder: Path) -> Starlette:
    """Stream the body to a file, and serve the file back."""

    async def upload(request: Request) -> Response:
        handle, path = tempfile.mkstemp(dir=folder)
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        return JSONResponse({"url": f"/files/{Path(path).name}"}, 201)

    async def parsed(request: Request) -> Response:
        """The part itself, parsed out of the multipart body and hashed: the floor under kiln's work."""
        _, options = parse_options_header(request.headers["content-type"])
        handle, path = tempfile.mkstemp(dir=folder)
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:

            def on_data(data: bytes, start: int, end: int) -> None:
                view = memoryview(data)[start:end]
                digest.update(view)
                out.write(view)

            parser = MultipartParser(options[b"boundary"], {"on_part_data": on_data})
            async for chunk in request.stream():
                parser.write(chunk)
        return JSONResponse({"url": f"/files/{Path(path).name}", "sha256": digest.hexdigest()}, 201)

    async def download(request: Request) -> Response:
        return FileResponse(folder / request.path_params["name"])

    return Starlette(
        routes=[
            Route("/upload", upload, methods=["POST"]),
            Route("/upload-parsed", parsed, methods=["POST"]),
            Route("/files/{name}", download, methods=["GET"]),
        ]
    )


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _peak_mb(call: Callable[[], Any]) -> float:
    """The most memory allocated above what was in use before, while ``call`` ran."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--megabytes", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("uvicorn.access").disabled = True
    size = args.megabytes * 1_000_000
    with tempfile.TemporaryDirectory(prefix="kiln-bench-files-") as tmp:
        source = Path(tmp) / "upload.bin"
        source.write_bytes(os.urandom(size))
        served = Path(tmp) / "served"
        served.mkdir()
        app = Path(tmp) / "app"
        app.mkdir()
        (app / "app.toml").write_text(MANIFEST)
        with TestApp(app) as kiln, TestApp(hand_written(served)) as hand:
            kiln_client = kiln.as_user("bench@example.com")
            counter = [0]

            def payload() -> Any:
                counter[0] += 1
                with source.open("r+b") as out:
                    out.write(counter[0].to_bytes(8, "big"))
                return source.open("rb")

            def kiln_upload() -> str:
                with payload() as body:
                    response = kiln_client.post("/api/_files", files={"file": ("big.bin", body)}, timeout=60)
                if response.status_code != 201:
                    raise SystemExit(f"bench: kiln answered {response.status_code}: {response.text[:300]}")
                return str(response.json()["url"])

            def hand_upload(path: str = "/upload") -> str:
                with payload() as body:
                    response = hand.client.post(path, files={"file": ("big.bin", body)}, timeout=60)
                return str(response.json()["url"])

            def download(client: httpx.Client, url: str) -> None:
                response = client.get(url, timeout=60)
                if len(response.content) < size:  # the hand-written app keeps the multipart framing too
                    raise SystemExit(f"bench: {url} gave {len(response.content)} bytes, not {size}")

            kiln_upload(), hand_upload()  # warm up
            timings: dict[str, list[float]] = {}
            for _ in range(args.rounds):
                elapsed, url = _timed(kiln_upload)
                timings.setdefault("kiln upload", []).append(elapsed)
                timings.setdefault("kiln download", []).append(
                    _timed(lambda url=url: download(kiln_client, url))[0]
                )
                timings.setdefault("parsed upload", []).append(
                    _timed(lambda: hand_upload("/upload-parsed"))[0]
                )
                elapsed, url = _timed(hand_upload)
                timings.setdefault("hand upload", []).append(elapsed)
                timings.setdefault("hand download", []).append(
                    _timed(lambda url=url: download(hand.client, url))[0]
                )
            kiln_peak = _peak_mb(kiln_upload)
            hand_peak = _peak_mb(hand_upload)

    print(f"{args.megabytes} MB, {args.rounds} rounds, medians from this one run:")
    print(f"{'':<12}{'kiln ms':>10}{'hand ms':>10}{'kiln/hand':>11}")
    for step in ("upload", "download"):
        ours, theirs = statistics.median(timings[f"kiln {step}"]), statistics.median(timings[f"hand {step}"])
        print(f"{step:<12}{ours:>10.1f}{theirs:>10.1f}{ours / theirs:>10.2f}x")
    trips = {
        side: statistics.median(
            [
                up + down
                for up, down in zip(timings[f"{side} upload"], timings[f"{side} download"], strict=True)
            ]
        )
        for side in ("kiln", "hand")
    }
    ratio = trips["kiln"] / trips["hand"]
    print(f"{'round trip':<12}{trips['kiln']:>10.1f}{trips['hand']:>10.1f}{ratio:>10.2f}x")
    floor = statistics.median(timings["parsed upload"])
    hand = statistics.median(timings["hand upload"])
    print(f"\nhand-written, also parsing the part and hashing it: {floor:.1f} ms ({floor / hand:.2f}x)")
    print(
        f"\npeak memory allocated during one upload: kiln {kiln_peak:.2f} MB, hand-written {hand_peak:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
