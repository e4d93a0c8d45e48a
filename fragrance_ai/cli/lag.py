"""`fragrance-ai lag`: how far each consumer group is behind, per topic and partition."""

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from fragrance_ai.cli.programs import configured, run_program
from fragrance_ai.metrics.lag import LagReader, PartitionLag, totals
from fragrance_ai.programs.lifecycle import StartupError

HEADER = ("GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG")


def render(rows: Sequence[PartitionLag]) -> str:
    """A table of every partition, then the lag summed per group and topic."""
    if not rows:
        return "no consumer group has committed offsets on these topics"
    cells = [HEADER] + [
        (r.group, r.topic, str(r.partition), "-" if r.committed is None else str(r.committed),
         str(r.end), str(r.lag))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in cells]
    lines.append("")
    lines.append("total lag per group and topic:")
    lines.extend(f"  {group}  {topic}  {lag}" for (group, topic), lag in totals(rows).items())
    return "\n".join(line.rstrip() for line in lines)


async def show_lag(
    settings: Any, groups: Sequence[str] | None, topics: Sequence[str] | None
) -> None:
    servers = settings.kafka.bootstrap_servers
    if not servers:
        raise StartupError("kafka.bootstrap_servers (KAFKA_BOOTSTRAP_SERVERS) is not set")
    async with LagReader(servers) as reader:
        rows = await reader.read(groups, topics)
    print(render(rows))


def run_lag(args: argparse.Namespace) -> int:
    settings = configured()
    # A report, not a service: an unreachable broker is said once, in our own line.
    kafka_logger = logging.getLogger("aiokafka")
    level = kafka_logger.level
    kafka_logger.setLevel(logging.CRITICAL)
    try:
        return run_program(lambda: show_lag(settings, args.group or None, args.topic or None))
    finally:
        kafka_logger.setLevel(level)


def register(subparsers: Any) -> None:
    lag = subparsers.add_parser(
        "lag", help="consumer lag per group, topic and partition (is the queue growing?)"
    )
    lag.add_argument("--group", action="append", help="only this consumer group (repeatable)")
    lag.add_argument("--topic", action="append", help="only this topic (repeatable)")
    lag.set_defaults(run=run_lag)
