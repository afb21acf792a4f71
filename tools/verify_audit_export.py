#!/usr/bin/env python3
"""Check a roadmap-svc audit export, independently of roadmap-svc.

    pip install rfc8785 cryptography
    python verify_audit_export.py roadmap-audit.json [TRUSTED_PUBLIC_KEY_BASE64]

Recomputes the hash chain from the exported events, compares it with the exported links, and
checks every checkpoint's Ed25519 signature (with the key you trust, else the export's own)
and that the chain reaches its hash. Exit 0 and "OK ..." when all agree; exit 1 naming the
first position where they do not.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def main(path: str, trusted: str | None = None) -> int:  # noqa: PLR0911 - one per finding
    with Path(path).open(encoding="utf-8") as f:
        export = json.load(f)
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(trusted or export["public_key"]))
    links = {link["position"]: link["hash"] for link in export["chain"]}
    order = sorted(links)  # the n-th event checked must have the n-th link
    previous, reached = bytes(32), {}
    for n, event in enumerate(export["events"]):
        position = event["position"]
        if n < len(order) and order[n] < position:
            return fail(order[n], "a link with no event (the event was deleted)")
        if "data" not in event:
            return fail(position, "the event's state is not JSON")
        canonical = rfc8785.dumps(
            {k: event[k] for k in ("aggregate_id", "data", "topic", "version")}
        )
        previous = hashlib.sha256(previous + position.to_bytes(8, "big") + canonical).digest()
        stored = links.pop(position, None)
        if stored is None:
            return fail(position, "an event with no link (added after the fact)")
        if stored != previous.hex():
            return fail(position, "the event (or its link) differs from what was chained")
        reached[position] = previous.hex()
    if links:
        return fail(min(links), "a link with no event (the event was deleted)")
    for checkpoint in export["checkpoints"]:
        position = checkpoint["position"]
        signed = {k: checkpoint[k] for k in ("hash", "position", "signed_at")}
        try:
            key.verify(base64.b64decode(checkpoint["signature"]), rfc8785.dumps(signed))
        except InvalidSignature:
            return fail(position, f"the checkpoint of {checkpoint['signed_at']} is not signed")
        if reached.get(position) != checkpoint["hash"]:
            return fail(position, "the events do not hash to the checkpoint signed then")
    print(
        f"OK: {len(export['events'])} events chained, head {previous.hex()};"
        f" {len(export['checkpoints'])} checkpoints verified"
    )
    return 0


def fail(position: int, why: str) -> int:
    print(f"TAMPERED at position {position}: {why}")
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
