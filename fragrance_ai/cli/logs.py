"""`fragrance-ai logs --follow [--job ID] [--service S]`: every service's log lines, live.

The services ship their records to Kafka's `fragrance.logs` (brokers/log_shipping.py);
the API streams them to admin keys (`GET /v1/logs`), so this command needs only the
API's URL and key, like `submit` and `jobs`. Lines print as the console shows them,
each after its service's name; `--json` prints the records as they were shipped.
"""

import argparse
import contextlib
import sys
from datetime import datetime
from typing import Any

import orjson
import structlog
from rich.console import Console

from fragrance_ai.cli.remote import job_id_argument, with_client
from fragrance_ai.client import ApiClient


def console_line(record: dict[str, Any], colors: bool) -> str:
    """One record as the development console writes it, after its service's name."""
    fields = dict(record)
    service = str(fields.pop("service", ""))
    stamp = str(fields.get("timestamp", ""))
    with contextlib.suppress(ValueError):  # a stamp that is not ISO stays as it is
        fields["timestamp"] = f"{datetime.fromisoformat(stamp).astimezone():%H:%M:%S}"
    renderer = structlog.dev.ConsoleRenderer(colors=colors)
    return f"{service:<10} {renderer(None, '', fields)}"


async def follow(client: ApiClient, args: argparse.Namespace, console: Console) -> int:
    colors = sys.stdout.isatty()
    async for event in client.logs(args.job, args.service):
        if event.type == "following":
            print("following the logs (Ctrl-C stops)", file=sys.stderr, flush=True)
        elif event.type == "log":
            text = (
                orjson.dumps(event.data).decode() if args.json else console_line(event.data, colors)
            )
            print(text, flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    if not args.follow:
        print(
            "fragrance-ai: logs are streamed live: add --follow (each service's own output "
            "keeps its history)",
            file=sys.stderr,
        )
        return 2
    return with_client(follow)(args)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "logs", help="follow every service's log lines through the running API (admin keys)"
    )
    parser.add_argument("--follow", "-f", action="store_true", help="stream lines as they come")
    parser.add_argument("--job", type=job_id_argument, help="only the lines about this job")
    parser.add_argument("--service", help="only this service: api, worker (any), worker-llm...")
    parser.add_argument("--json", action="store_true", help="print each record as JSON")
    parser.set_defaults(run=run)
