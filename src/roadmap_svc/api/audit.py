"""/v1/audit: tamper evidence for auditors (and admins): verify the hash chain and the
signed checkpoints against the stored events, list the checkpoints, sign one now."""

from __future__ import annotations

import asyncio

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Controller, get, post

from roadmap_svc.api.auth import AUDIT
from roadmap_svc.api.contract import PROBLEM_STATUSES
from roadmap_svc.api.dependencies import AppStateDep
from roadmap_svc.api.problems import problem
from roadmap_svc.api.state import AppState
from roadmap_svc.audit import checkpoints
from roadmap_svc.audit.checkpoints import Checkpoint
from roadmap_svc.audit.signing import public_key_text
from roadmap_svc.audit.verify import AuditReport, verify


class AuditController(Controller):
    path = "/v1/audit"
    tags = ("audit",)

    @get(
        "/verify",
        operation_id="VerifyAudit",
        opt=AUDIT,
        summary="Recompute the hash chain and check every signed checkpoint",
        description="Reads every event in position order (one snapshot), recomputes the "
        "hash chain and compares it with the stored links and the Ed25519-signed "
        "checkpoints. `problem` names the first position where they disagree (an event "
        "changed, deleted, inserted or no longer decodable; a checkpoint rewritten, signed "
        "by another key, or not reached by the events). It takes seconds per 100,000 events.",
    )
    async def verify(self, app_state: AppStateDep) -> AuditReport:
        key = public_key_text(_key(app_state))

        def run() -> AuditReport:
            with psycopg.connect(app_state.dsn) as conn:
                return verify(conn, key)

        return await asyncio.to_thread(run)

    @get(
        "/checkpoints",
        operation_id="ListAuditCheckpoints",
        opt=AUDIT,
        summary="The signed checkpoints, oldest first",
    )
    async def checkpoints(self, app_state: AppStateDep) -> list[Checkpoint]:
        def run() -> list[Checkpoint]:
            with psycopg.connect(app_state.dsn) as conn:
                return checkpoints.recorded(conn)

        return await asyncio.to_thread(run)

    @post(
        "/checkpoints",
        operation_id="SignAuditCheckpoint",
        opt=AUDIT | {PROBLEM_STATUSES: (409,)},
        summary="Sign the chain's head now",
        description="An Ed25519 signature over the head's position and hash, kept in the "
        "database (the worker also signs one every ROADMAP_AUDIT_CHECKPOINT_MINUTES). 409 "
        "while the log is empty.",
    )
    async def sign(self, app_state: AppStateDep) -> Checkpoint:
        key = _key(app_state)

        def run() -> Checkpoint | None:
            with psycopg.connect(app_state.dsn, autocommit=True) as conn:
                return checkpoints.sign_head(conn, key)

        made = await asyncio.to_thread(run)
        if made is None:
            raise problem("conflict", "the log is empty: there is nothing to sign yet")
        return made


def _key(app_state: AppState) -> Ed25519PrivateKey:
    if app_state.signing_key is None:  # pragma: no cover - set at start-up
        raise RuntimeError("the app has not started")
    return app_state.signing_key
