"""`api`, `worker`, `dev`, `db migrate` and `topics create`: the system's processes."""

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Literal, cast

from dynaconf import Dynaconf

from brokers.topics import WORKER_ROLES
from fragrance_ai.config_loader import load_settings
from fragrance_ai.logs import configure_logging
from fragrance_ai.programs.lifecycle import explain, run_until_signalled

STARTUP_FAILED = 1


def configured(settings: Dynaconf | None = None) -> Dynaconf:
    settings = settings or load_settings()
    log_format = cast(Literal["console", "json"], str(settings.log.format))
    configure_logging(str(settings.log.level), log_format, str(settings.log.library_level))
    return settings


def run_program(main: Callable[[], Coroutine[Any, Any, None]]) -> int:
    """Run to completion; a start-up failure a user can fix prints one line, exit 1."""
    try:
        asyncio.run(main())
    except Exception as exc:
        reasons = [explain(leaf) for leaf in _leaves(exc)]
        if not all(reasons):
            raise
        print(f"fragrance-ai: {reasons[0]}", file=sys.stderr)
        return STARTUP_FAILED
    return 0


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def run_api(args: argparse.Namespace) -> int:
    from brokers.log_shipping import shipping_logs
    from fragrance_ai.programs.api import serve_api

    settings = configured()
    if args.port is not None:
        settings.set("api.port", args.port)
    grace_s = float(settings.shutdown.grace_s)
    return run_program(
        lambda: run_until_signalled(
            lambda stop: shipping_logs(settings, "api", serve_api(settings, stop)), grace_s
        )
    )


def run_worker(args: argparse.Namespace) -> int:
    from brokers.log_shipping import shipping_logs
    from fragrance_ai.programs.worker import run_worker as worker

    settings = configured()
    grace_s = float(settings.shutdown.grace_s)
    service = f"worker-{args.role}"
    return run_program(
        lambda: run_until_signalled(
            lambda stop: shipping_logs(
                settings, service, worker(settings, WORKER_ROLES[args.role], stop)
            ),
            grace_s,
        )
    )


def run_dev(args: argparse.Namespace) -> int:
    from fragrance_ai.programs.dev import run_dev as dev

    settings = configured()
    if args.port is not None:
        settings.set("api.port", args.port)
    grace_s = float(settings.shutdown.grace_s)
    return run_program(lambda: run_until_signalled(lambda stop: dev(settings, stop), grace_s))


def run_embedded_up(args: argparse.Namespace) -> int:
    from fragrance_ai.embedded.postgres import default_data_dir
    from fragrance_ai.programs.embedded import run_embedded

    settings = configured()
    data_dir = args.data_dir or default_data_dir()
    step_s, grace_s = float(settings.shutdown.step_s), float(settings.shutdown.grace_s)
    return run_program(
        lambda: run_until_signalled(
            lambda stop: run_embedded(stop, data_dir, args.kafka_port, step_s), grace_s
        )
    )


def run_migrate(args: argparse.Namespace) -> int:
    from fragrance_ai.programs.admin import migrate_database

    return run_program(lambda: migrate_database(configured()))


def run_create_topics(args: argparse.Namespace) -> int:
    from fragrance_ai.programs.admin import create_all_topics

    return run_program(lambda: create_all_topics(configured()))


def register(subparsers: Any) -> None:
    api = subparsers.add_parser("api", help="serve the HTTP API (needs a broker and a database)")
    api.add_argument("--port", type=int, help="listen on this port instead of api.port")
    api.set_defaults(run=run_api)

    worker = subparsers.add_parser("worker", help="run one worker of a role")
    worker.add_argument(
        "role",
        choices=tuple(WORKER_ROLES),
        help="llm: interpret briefs; rl: optimise formulas and run training; training: only training",
    )
    worker.set_defaults(run=run_worker)

    dev = subparsers.add_parser(
        "dev", help="run everything in one process, on an embedded broker and database"
    )
    dev.add_argument("--port", type=int, help="listen on this port instead of api.port")
    dev.set_defaults(run=run_dev)

    embedded = subparsers.add_parser(
        "embedded", help="the embedded broker and database, for programs run separately"
    )
    embedded_commands = embedded.add_subparsers(dest="embedded_command", required=True)
    up = embedded_commands.add_parser(
        "up", help="start them, print their URLs as shell exports, stop them on Ctrl-C"
    )
    up.add_argument(
        "--kafka-port",
        type=int,
        default=9092,
        help="the broker's port on 127.0.0.1 (default 9092; 0: any free port)",
    )
    up.add_argument(
        "--data-dir",
        type=Path,
        help="the database's data folder (default: the one `fragrance-ai dev` uses)",
    )
    up.set_defaults(run=run_embedded_up)

    db = subparsers.add_parser("db", help="database administration")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=run_migrate)

    topics = subparsers.add_parser("topics", help="Kafka topic administration")
    topic_commands = topics.add_subparsers(dest="topics_command", required=True)
    topic_commands.add_parser(
        "create", help="create the catalogue's topics (existing ones are kept)"
    ).set_defaults(run=run_create_topics)
