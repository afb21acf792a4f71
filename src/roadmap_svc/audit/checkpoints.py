"""Signed checkpoints of the audit chain's head: on demand and periodically (the worker)."""

from __future__ import annotations

import base64
import logging
import threading
from datetime import UTC, datetime
from typing import Any

import msgspec
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.rows import dict_row

from roadmap_svc.audit.chain import checkpoint_message
from roadmap_svc.storage.audit_chain import HEAD

logger = logging.getLogger(__name__)


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    hash: str  # hex
    signed_at: str  # RFC 3339, as signed
    public_key: str  # base64 of the raw Ed25519 key
    signature: str  # base64


_INSERT = (
    "INSERT INTO audit_checkpoints (position, hash, signed_at, public_key, signature)"
    " VALUES (%s, %s, %s, %s, %s)"
)
_LIST = (
    "SELECT position, hash, signed_at, public_key, signature FROM audit_checkpoints"
    " ORDER BY position, id"
)


def sign_head(conn: psycopg.Connection[Any], key: Ed25519PrivateKey) -> Checkpoint | None:
    """Sign the chain's head now (None: the log is empty)."""
    head = conn.execute(HEAD).fetchone()
    if head is None:
        return None
    position, digest = int(head[0]), bytes(head[1])
    signed_at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    signature = key.sign(checkpoint_message(position, digest, signed_at))
    public = key.public_key().public_bytes_raw()
    conn.execute(_INSERT, (position, digest, datetime.fromisoformat(signed_at), public, signature))
    return _checkpoint(position, digest, signed_at, public, signature)


def recorded(conn: psycopg.Connection[Any]) -> list[Checkpoint]:
    with conn.cursor(row_factory=dict_row) as curs:
        rows = curs.execute(_LIST).fetchall()
    return [
        _checkpoint(
            r["position"],
            bytes(r["hash"]),
            r["signed_at"]
            .astimezone(UTC)
            .isoformat(timespec="microseconds")
            .replace("+00:00", "Z"),
            bytes(r["public_key"]),
            bytes(r["signature"]),
        )
        for r in rows
    ]


def _checkpoint(
    position: int, digest: bytes, signed_at: str, public: bytes, signature: bytes
) -> Checkpoint:
    return Checkpoint(
        position=position,
        hash=digest.hex(),
        signed_at=signed_at,
        public_key=base64.b64encode(public).decode(),
        signature=base64.b64encode(signature).decode(),
    )


class Checkpointer:
    """A thread that signs the head every `minutes` if it moved since the last checkpoint."""

    def __init__(self, dsn: str, key: Ed25519PrivateKey, minutes: float) -> None:
        self._dsn = dsn
        self._key = key
        self._seconds = minutes * 60
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)

    def start(self) -> None:
        if self._seconds > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    last = conn.execute("SELECT max(position) FROM audit_checkpoints").fetchone()
                    head = conn.execute(HEAD).fetchone()
                    if head is not None and (last is None or last[0] != head[0]):
                        made = sign_head(conn, self._key)
                        if made is not None:
                            logger.info("audit checkpoint signed at position %d", made.position)
            except psycopg.Error as exc:
                logger.warning("audit checkpoint not signed now: %s", exc)
