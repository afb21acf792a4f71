"""A small HTTP/1.1 load generator, run as its own process: N keep-alive clients, each
repeating its own requests as fast as the server answers; reports rate, latency and CPU.

    python bench/load.py --url http://127.0.0.1:8000 --token T --seconds 10 --plan plan.json

The plan is a JSON list, one entry per client, of the requests that client cycles through:
[{"method": "PATCH", "path": "/v1/...", "body": {...}}, ...]. Every answer must be 2xx.
Written on asyncio streams (uvloop when present) so that the generator itself stays cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _request(host: str, token: str, method: str, path: str, body: object) -> bytes:
    payload = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _client(
    host: str, port: int, requests: list[bytes], deadline: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    n = 0
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(requests[n % len(requests)])
            n += 1
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not status_line.startswith(b"HTTP/1.1 2"):
                errors += 1
                if errors == 1:
                    print(f"error answer: {status_line!r}", file=sys.stderr)
    finally:
        writer.close()
    return errors


async def run(
    url: str, token: str, seconds: float, plan: list[list[dict[str, Any]]]
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [
        [_request(f"{host}:{port}", token, r["method"], r["path"], r.get("body")) for r in client]
        for client in plan
    ]
    latencies: list[float] = []
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    deadline = start + seconds
    errors = await asyncio.gather(*(_client(host, port, r, deadline, latencies) for r in requests))
    elapsed = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "errors": sum(errors),
        "seconds": elapsed,
        "rate": count / elapsed,
        "p50_ms": latencies[count // 2] * 1000 if count else None,
        "p99_ms": latencies[min(count - 1, int(count * 0.99))] * 1000 if count else None,
        "cpu_seconds": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--plan", required=True, help="JSON file: one request list per client")
    args = parser.parse_args()
    plan = json.loads(Path(args.plan).read_text())
    try:
        import uvloop  # noqa: PLC0415 - optional speed-up of the generator itself

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    result = runner(run(args.url, args.token, args.seconds, plan))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
