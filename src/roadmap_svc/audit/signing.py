"""The Ed25519 key that signs checkpoints: ROADMAP_AUDIT_SIGNING_KEY (the 32-byte private
seed, base64), else one generated once into the data directory. Give every process of a
deployment the same key (the setting): checkpoints signed by another key do not verify."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from roadmap_svc.config import ConfigError, Settings

KEY_FILE = "audit-signing-key"
SEED_BYTES = 32


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.audit_signing_key is not None:
        return _from_seed(settings.audit_signing_key, "ROADMAP_AUDIT_SIGNING_KEY")
    path = settings.data_path / KEY_FILE
    if not path.exists():
        _write_new(path)
    return _from_seed(path.read_text().strip(), str(path))


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes_raw()).decode()


def verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def new_seed_text() -> str:
    return base64.b64encode(os.urandom(SEED_BYTES)).decode()


def _from_seed(text: str, where: str) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != SEED_BYTES:
        raise ConfigError(f"{where}: not a base64 Ed25519 seed of {SEED_BYTES} bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _write_new(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created readable by its owner only, and never overwritten (another process may race).
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as file:
        file.write(new_seed_text() + "\n")
