"""One message fanned out to a room of 100 connections: kiln's ``/ws`` against hand-written sends.

kiln: chat-app's ``/ws``, 100 connections joined to one room, one of them sending; kiln relays
each message to the other 99 through each connection's queue and sender task. Hand-written: a
Starlette WebSocket endpoint keeping a set of connections and awaiting ``send_text`` to every
other one, the least a developer could write. Both are served the same way (TestApp: uvicorn on
a real socket), and driven by the same asyncio websockets clients, one round after another so
noise hits both alike. Each message carries the time it was sent; delivery latency is the time
until each receiver has it. Prints messages delivered per second and p50/p99 latency.

    python bench/realtime.py [--members 100] [--messages 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect

from harness import TestApp

#: A room app whose queues hold the whole burst: the bench measures delivery, not the 1008 limit.
MANIFEST = """
[app]
name = "bench-realtime"

[realtime]
max_queue = 1000000
"""


def hand_written() -> Starlette:
    """Every text frame goes to every other connection, awaited one by one."""
    members: set[WebSocket] = set()

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        members.add(websocket)
        try:
            while True:
                text = await websocket.receive_text()
                for member in list(members):
                    if member is not websocket:
                        await member.send_text(text)
        except WebSocketDisconnect:
            pass
        finally:
            members.discard(websocket)

    return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


async def _round(url: str, kiln: bool, members: int, messages: int) -> tuple[float, list[float]]:
    """Send ``messages`` from one member to the rest; the seconds it took and each latency (ms)."""
    clients: list[ClientConnection] = [await connect(url, max_queue=None) for _ in range(members)]
    try:
        if kiln:
            for client in clients:
                await client.send(json.dumps({"type": "join", "room": "bench"}))
                await client.recv()  # joined
        sender, receivers = clients[0], clients[1:]
        latencies: list[float] = []

        async def collect(client: ClientConnection) -> None:
            for _ in range(messages):
                message = json.loads(await client.recv())
                sent = message["data"]["t"] if kiln else message["t"]
                latencies.append((time.perf_counter() - sent) * 1000)

        readers = [asyncio.create_task(collect(client)) for client in receivers]
        started = time.perf_counter()
        for _ in range(messages):
            data = {"t": time.perf_counter(), "text": "hello, room"}
            await sender.send(json.dumps({"type": "send", "room": "bench", "data": data} if kiln else data))
            await asyncio.sleep(0)  # let delivery start, as a real sender would between messages
        await asyncio.gather(*readers)
        return time.perf_counter() - started, latencies
    finally:
        await asyncio.gather(*(client.close() for client in clients))


def _run(app: Path, args: argparse.Namespace, results: dict[str, tuple[list[float], list[float]]]) -> None:
    with TestApp(app) as kiln, TestApp(hand_written()) as hand:
        urls = {"kiln": kiln.ws_url + "/ws", "hand": hand.ws_url + "/ws"}
        for _ in range(args.rounds):
            for name in ("kiln", "hand"):
                seconds, latencies = asyncio.run(
                    _round(urls[name], name == "kiln", args.members, args.messages)
                )
                results[name][0].append(args.messages * (args.members - 1) / seconds)
                results[name][1].extend(latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("uvicorn.error").disabled = True
    results: dict[str, tuple[list[float], list[float]]] = {"kiln": ([], []), "hand": ([], [])}
    with tempfile.TemporaryDirectory(prefix="kiln-bench-realtime-") as tmp:
        (Path(tmp) / "app.toml").write_text(MANIFEST)
        _run(Path(tmp), args, results)

    def p(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(len(values) * q))]

    print(f"one sender, {args.members - 1} receivers, {args.messages} messages, {args.rounds} rounds:")
    print(f"{'':<14}{'delivered/s':>14}{'p50 ms':>10}{'p99 ms':>10}")
    for name, label in (("kiln", "kiln /ws"), ("hand", "hand-written")):
        rates, latencies = results[name]
        print(
            f"{label:<14}{statistics.median(rates):>14,.0f}{p(latencies, 0.5):>10.2f}{p(latencies, 0.99):>10.2f}"
        )
    ratio = statistics.median(results["hand"][0]) / statistics.median(results["kiln"][0])
    print(f"\nhand-written delivers {ratio:.2f}x as many messages per second as kiln")
    return 0


if __name__ == "__main__":
    sys.exit(main())
