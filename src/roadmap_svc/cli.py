"""The `roadmap-svc` command: serve (or api and worker), migrate, tokens, projections, audit,
openapi."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import msgspec
import psycopg
import uvicorn
import yaml

from roadmap_svc.config import ConfigError, Settings, load_settings
from roadmap_svc.domain.roles import Role
from roadmap_svc.logs import configure_logging
from roadmap_svc.schema import migrate_database
from roadmap_svc.storage.connect import open_database
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.durability import check_durability
from roadmap_svc.storage.migrations import MigrationError
from roadmap_svc.storage.tokens import TokenNameTakenError, create_token, revoke_token

logger = logging.getLogger("roadmap_svc")
DATABASE_URL_VARIABLE = "ROADMAP_DATABASE_URL"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's
FACTORY = "roadmap_svc.api.factory:app_from_environment"
GC_YOUNG_THRESHOLD = 20_000


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"roadmap-svc: invalid configuration: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        return int(args.run(settings, args))
    except (ConfigError, MigrationError, TokenNameTakenError) as exc:
        print(f"roadmap-svc: {exc}", file=sys.stderr)
        return 2


class _StopRequested(Exception):  # noqa: N818 - a signal, not an error
    pass


def _request_stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise _StopRequested


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """The API and the projection runners in one process (the all-in-one default)."""
    return _http(settings, args, run_projections=True)


def _api(settings: Settings, args: argparse.Namespace) -> int:
    """The API alone: the views are kept by `worker` processes."""
    return _http(settings, args, run_projections=False)


def _http(settings: Settings, args: argparse.Namespace, *, run_projections: bool) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    processes = 1 if run_projections else (args.processes or settings.api_processes)
    # While uvicorn runs, SIGINT/SIGTERM start its graceful shutdown (the app's lifespan exit
    # stops runners and pools); afterwards it re-raises the signal, which lands here and
    # unwinds the `with` so the embedded PostgreSQL is stopped too. Before uvicorn starts,
    # the same handler simply unwinds.
    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open_database(settings) as target:
            check_durability(target, allow_unsafe=settings.allow_unsafe_postgres)
            applied = migrate_database(target)
            logger.info("database ready (%d migrations applied now)", len(applied))
            if processes > 1:
                _run_processes(target, host, port, processes, settings)
            else:
                from roadmap_svc.api.app import create_app  # noqa: PLC0415 - the web stack

                app = create_app(settings, target, run_projections=run_projections)
                config = uvicorn.Config(app, host=host, port=port, **_uvicorn_options(settings))
                server = uvicorn.Server(config)
                tune_garbage_collector()
                server.run()
    except _StopRequested:
        logger.info("stopped on request")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _worker(settings: Settings, _: argparse.Namespace) -> int:
    """The projection runners and the webhook dispatcher alone. Start as many as you like:
    per view one runner is active; dispatchers share the deliveries."""
    from roadmap_svc.audit.checkpoints import Checkpointer  # noqa: PLC0415
    from roadmap_svc.audit.signing import signing_key  # noqa: PLC0415
    from roadmap_svc.projections.runner import start_runners, stop_runners  # noqa: PLC0415
    from roadmap_svc.storage.eventstore import eventsourcing_env  # noqa: PLC0415
    from roadmap_svc.webhooks.dispatcher import Dispatcher  # noqa: PLC0415

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open_database(settings) as target:
            check_durability(target, allow_unsafe=settings.allow_unsafe_postgres)
            migrate_database(target)
            runners = start_runners(eventsourcing_env(target, pool_size=1))
            dispatcher = Dispatcher(target.dsn, settings)
            dispatcher.start()
            checkpointer = Checkpointer(
                target.dsn, signing_key(settings), settings.audit_checkpoint_minutes
            )
            checkpointer.start()
            logger.info("worker running the views: %s", ", ".join(r.name for r in runners))
            try:
                while True:
                    signal.pause()  # until SIGINT or SIGTERM raises _StopRequested
            finally:
                checkpointer.stop()
                dispatcher.stop()
                stop_runners(runners)
    except _StopRequested:
        logger.info("stopped on request")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    # log_config None: uvicorn's loggers propagate to ours (text or JSON, with request ids).
    return {
        "log_level": settings.log_level.lower(),
        "log_config": None,
        "loop": "uvloop",
        "http": "httptools",
    }


def _run_processes(
    target: DatabaseTarget, host: str, port: int, processes: int, settings: Settings
) -> None:
    """`api` as uvicorn's worker processes on one socket; each builds its app from the
    environment (api/factory.py), with this process's database and a shared metrics dir."""
    os.environ[DATABASE_URL_VARIABLE] = target.dsn  # the embedded server's, if started here
    own_metrics_dir = MULTIPROCESS_DIR not in os.environ
    if own_metrics_dir:
        os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="roadmap-svc-metrics-")
    logger.info("starting %d API processes", processes)
    try:
        uvicorn.run(
            FACTORY,
            factory=True,
            workers=processes,
            host=host,
            port=port,
            **_uvicorn_options(settings),
        )
    finally:
        if own_metrics_dir:
            shutil.rmtree(os.environ.pop(MULTIPROCESS_DIR), ignore_errors=True)


def tune_garbage_collector() -> None:
    # Requests allocate many short-lived containers; at the default threshold (700) the cyclic
    # collector runs every few requests and its full passes walk the whole heap of imported
    # modules, showing up as tail latency. Freeze what start-up made, collect young objects
    # less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    with open_database(settings) as target:
        applied = migrate_database(target)
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
    return 0


def _tokens_create(settings: Settings, args: argparse.Namespace) -> int:
    with open_database(settings) as target:
        migrate_database(target)
        token = create_token(target, args.name, Role(args.role))
    print(token)
    print(
        f"(token {args.name!r} with role {args.role}; it is not stored and cannot be shown again)",
        file=sys.stderr,
    )
    return 0


def _tokens_revoke(settings: Settings, args: argparse.Namespace) -> int:
    with open_database(settings) as target:
        migrate_database(target)
        revoked = revoke_token(target, args.name)
    if not revoked:
        print(f"roadmap-svc: no active token named {args.name!r}", file=sys.stderr)
        return 1
    print(f"token {args.name!r} revoked: it is refused from now on")
    return 0


def _projections_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from roadmap_svc.projections.rebuild import RebuildError, rebuild  # noqa: PLC0415
    from roadmap_svc.projections.registry import VIEWS, view_named  # noqa: PLC0415

    try:
        views = [view_named(args.name)] if args.name else list(VIEWS)
    except LookupError as exc:
        print(f"roadmap-svc: {exc}", file=sys.stderr)
        return 2
    with open_database(settings) as target:
        migrate_database(target)
        with psycopg.connect(target.dsn, autocommit=True) as conn:
            try:
                position = rebuild(conn, views, progress=sys.stderr.isatty())
            except RebuildError as exc:
                print(f"roadmap-svc: {exc}", file=sys.stderr)
                return 1
    names = ", ".join(v.name for v in views)
    print(f"rebuilt {names} from the log; live at position {position}")
    return 0


def _projections_status(settings: Settings, _: argparse.Namespace) -> int:
    from roadmap_svc.projections.status import views_status  # noqa: PLC0415

    with open_database(settings) as target:
        migrate_database(target)
        with psycopg.connect(target.dsn) as conn:
            statuses = views_status(conn)
    for view in statuses:
        print(msgspec.json.encode(view).decode())
        if view.failure is not None:
            print(
                f"roadmap-svc: view {view.name} waits at position {view.failure.position} "
                f"({view.failure.topic} {view.failure.originator_id} "
                f"v{view.failure.originator_version}), attempt {view.failure.attempts}: "
                f"{view.failure.error}; fix it, then `roadmap-svc projections retry`",
                file=sys.stderr,
            )
    return 1 if any(view.failure is not None for view in statuses) else 0


def _projections_retry(settings: Settings, args: argparse.Namespace) -> int:
    from roadmap_svc.projections import failures  # noqa: PLC0415

    with open_database(settings) as target:
        migrate_database(target)
        with psycopg.connect(target.dsn, autocommit=True) as conn:
            cleared = failures.clear(conn, args.name)
    for failure in cleared:
        print(f"view {failure.view}: retrying the event at position {failure.position} now")
    if not cleared:
        print("no view waits at a failed event", file=sys.stderr)
    return 0


def _audit_verify(settings: Settings, _: argparse.Namespace) -> int:
    from roadmap_svc.audit.signing import public_key_text, signing_key  # noqa: PLC0415
    from roadmap_svc.audit.verify import verify  # noqa: PLC0415

    with open_database(settings) as target:
        migrate_database(target)
        with psycopg.connect(target.dsn) as conn:
            report = verify(conn, public_key_text(signing_key(settings)))
    print(msgspec.json.encode(report).decode())
    if report.problem is not None:
        p = report.problem
        print(f"roadmap-svc: position {p.position}: {p.kind}: {p.detail}", file=sys.stderr)
        return 1
    return 0


def _audit_checkpoint(settings: Settings, _: argparse.Namespace) -> int:
    from roadmap_svc.audit.checkpoints import sign_head  # noqa: PLC0415
    from roadmap_svc.audit.signing import signing_key  # noqa: PLC0415

    with open_database(settings) as target:
        migrate_database(target)
        with psycopg.connect(target.dsn, autocommit=True) as conn:
            made = sign_head(conn, signing_key(settings))
    if made is None:
        print("roadmap-svc: the log is empty: nothing to sign", file=sys.stderr)
        return 1
    print(msgspec.json.encode(made).decode())
    return 0


def _audit_export(settings: Settings, args: argparse.Namespace) -> int:
    from roadmap_svc.audit.export import export  # noqa: PLC0415
    from roadmap_svc.audit.signing import public_key_text, signing_key  # noqa: PLC0415

    with open_database(settings) as target:
        migrate_database(target)
        with psycopg.connect(target.dsn) as conn, Path(args.output).open("wb") as out:
            count = export(conn, public_key_text(signing_key(settings)), out)
    print(f"exported {count} events to {args.output}", file=sys.stderr)
    return 0


def _audit_replay(settings: Settings, args: argparse.Namespace) -> int:
    from roadmap_svc.audit.replay import decisions_until  # noqa: PLC0415

    try:
        until = msgspec.convert(args.until, datetime)
    except msgspec.ValidationError:
        print(f"roadmap-svc: --until {args.until!r} is not an RFC 3339 time", file=sys.stderr)
        return 2
    if until.tzinfo is None:
        print("roadmap-svc: --until must name its UTC offset (e.g. Z)", file=sys.stderr)
        return 2
    with open_database(settings) as target:
        migrate_database(target)
        with psycopg.connect(target.dsn) as conn:
            position, decisions = decisions_until(conn, until)
    for decision in decisions:
        print(msgspec.json.encode(decision).decode())
    print(
        f"{len(decisions)} decisions as recorded by {args.until} (the log up to position"
        f" {position}, replayed)",
        file=sys.stderr,
    )
    return 0


def _openapi(settings: Settings, args: argparse.Namespace) -> int:
    text = openapi_yaml(settings)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
    return 0


def openapi_yaml(settings: Settings) -> str:
    from roadmap_svc.api.app import create_app  # noqa: PLC0415
    from roadmap_svc.api.contract import document  # noqa: PLC0415

    app = create_app(settings, DatabaseTarget(host="unused"), run_projections=False)
    schema = msgspec.to_builtins(document(app))
    return yaml.safe_dump(schema, sort_keys=True, allow_unicode=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roadmap-svc", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, then run the API and projections")
    serve.add_argument("--host", help="listen address (default ROADMAP_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default ROADMAP_PORT or 8000)")
    serve.set_defaults(run=_serve)
    api = commands.add_parser("api", help="migrate, then run the API alone (views: `worker`)")
    api.add_argument("--host", help="listen address (default ROADMAP_HOST or 127.0.0.1)")
    api.add_argument("--port", type=int, help="listen port (default ROADMAP_PORT or 8000)")
    api.add_argument(
        "--processes", type=int, help="API processes (default ROADMAP_API_PROCESSES or 1)"
    )
    api.set_defaults(run=_api)
    commands.add_parser(
        "worker", help="migrate, then keep the views (any number of workers: one active per view)"
    ).set_defaults(run=_worker)

    commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=_migrate)

    tokens = commands.add_parser("tokens", help="manage API tokens")
    token_commands = tokens.add_subparsers(required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create a token and print it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, help="recorded as the actor of its writes")
    create.set_defaults(run=_tokens_create)
    revoke = token_commands.add_parser("revoke", help="refuse a token from now on")
    revoke.add_argument("--name", required=True)
    revoke.set_defaults(run=_tokens_revoke)

    projections = commands.add_parser("projections", help="see and retry the views")
    view_commands = projections.add_subparsers(required=True, metavar="ACTION")
    view_commands.add_parser(
        "status",
        help="each view's position, lag and the event it waits at (JSON lines); exit 1 if"
        " one waits",
    ).set_defaults(run=_projections_status)
    rebuild = view_commands.add_parser(
        "rebuild",
        help="replay the log into new tables and swap them in; the service keeps serving",
    )
    rebuild.add_argument("name", nargs="?", help="one view (default: every view)")
    rebuild.set_defaults(run=_projections_rebuild)
    retry = view_commands.add_parser(
        "retry", help="after a fix: a view waiting at a failed event tries it again now"
    )
    retry.add_argument("name", nargs="?", help="one view (default: every view)")
    retry.set_defaults(run=_projections_retry)

    audit = commands.add_parser("audit", help="tamper evidence: verify, checkpoint, export")
    audit_commands = audit.add_subparsers(required=True, metavar="ACTION")
    audit_commands.add_parser(
        "verify",
        help="recompute the hash chain from the events; name the first position where the"
        " events, the chain and the signed checkpoints disagree (exit 1)",
    ).set_defaults(run=_audit_verify)
    audit_commands.add_parser(
        "checkpoint", help="sign the chain's head now (Ed25519)"
    ).set_defaults(run=_audit_checkpoint)
    export = audit_commands.add_parser(
        "export",
        help="write events, chain, checkpoints and public key to one file"
        " (check it with tools/verify_audit_export.py)",
    )
    export.add_argument("--output", default="roadmap-audit.json", help="the file to write")
    export.set_defaults(run=_audit_export)
    replayed = audit_commands.add_parser(
        "replay",
        help="print the decision log as it stood at a time (JSON lines), replayed from the log",
    )
    replayed.add_argument("--until", required=True, help="RFC 3339, e.g. 2026-03-01T09:30:00Z")
    replayed.set_defaults(run=_audit_replay)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document as YAML")
    openapi.add_argument("--output", default="openapi.yaml", help="file, or - for stdout")
    openapi.set_defaults(run=_openapi)
    return parser


if __name__ == "__main__":
    sys.exit(main())
