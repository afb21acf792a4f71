"""Hostile input leaves memory flat: thousands of refused requests (NUL, deep nesting, bad
encodings, duplicate keys, oversized headers, untyped bodies) grow the process by nothing
that stays. Extended tier (`./dev test-extended`)."""

from __future__ import annotations

import gc
import json

import psutil
import pytest

from tests.api.helpers import Client, head_position, proposal

pytestmark = pytest.mark.extended

ROUNDS = 400  # each round sends every hostile request once
ALLOWED_GROWTH_BYTES = 8 * 1024 * 1024  # allocator noise, not a leak of ~3,000 requests

_DEEP = b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}"
_DUPLICATE = (json.dumps(proposal())[:-1] + ', "title": "again"}').encode()


async def _hostile_round(client: Client) -> None:
    sends = [
        client.post("/v1/initiatives", json=proposal(title="a\u0000b")),
        client.post("/v1/initiatives", content=_DEEP, headers={"content-type": "application/json"}),
        client.post(
            "/v1/initiatives",
            content=b'{"title": "\xff"}',
            headers={"content-type": "application/json"},
        ),
        client.post(
            "/v1/initiatives", content=_DUPLICATE, headers={"content-type": "application/json"}
        ),
        client.post("/v1/initiatives", content=json.dumps(proposal()).encode()),  # untyped
        client.post("/v1/initiatives", json=proposal(), headers={"x-big": "a" * 40_000}),
        client.get("/v1/initiatives?owner=a%00b"),
    ]
    for send in sends:
        response = await send
        assert 400 <= response.status_code < 500, response.text


def _rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


async def test_refused_requests_leave_memory_flat(client: Client) -> None:
    before_position = await head_position(client)
    for _ in range(ROUNDS // 4):  # warm-up: caches, pools and the allocator settle
        await _hostile_round(client)
    start = _rss()
    for _ in range(ROUNDS):
        await _hostile_round(client)
    grown = _rss() - start
    assert grown < ALLOWED_GROWTH_BYTES, f"grew {grown / 1e6:.1f} MB over {ROUNDS * 7} requests"
    assert await head_position(client) == before_position  # and nothing was recorded


async def test_the_memory_check_sees_a_leak(client: Client) -> None:
    """Negative control: the same measurement around a deliberate leak of ~16 MB fails."""
    leaked: list[bytes] = []
    start = _rss()
    for _ in range(ROUNDS // 10):
        await _hostile_round(client)
        leaked.append(b"x" * 400_000)
    assert _rss() - start >= ALLOWED_GROWTH_BYTES
    del leaked
