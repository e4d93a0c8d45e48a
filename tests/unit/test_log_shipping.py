"""Log shipping and following, without Kafka: what a record becomes on the way, which
records a follower keeps, and how a follower prints them."""

import logging
import re
from collections import deque
from datetime import datetime

import orjson
import pytest
import structlog

from brokers.log_shipping import Line, ShippingHandler
from fragrance_ai.cli.logs import console_line
from fragrance_ai.http.log_stream import wanted
from fragrance_ai.logs import EXPECTED_LIBRARY_WARNINGS, configure_logging

JOB = "0c3f9e8a-1b2d-4c5e-8f7a-6b5c4d3e2f1a"


def shipped_by(handler: ShippingHandler, logger_name: str, message: str) -> None:
    record = logging.LogRecord(logger_name, logging.INFO, __file__, 1, message, None, None)
    handler.handle(record)


def test_a_record_ships_as_its_json_line_keyed_by_the_bound_job() -> None:
    buffer: deque[Line] = deque(maxlen=2)
    handler = ShippingHandler(buffer)
    with structlog.contextvars.bound_contextvars(job_id=JOB, correlation_id="corr-1"):
        shipped_by(handler, "faststream.kafka", "Received")
    [(key, line)] = buffer
    assert key == JOB.encode()
    record = orjson.loads(line)
    assert record | {"event": "Received", "job_id": JOB, "correlation_id": "corr-1"} == record
    structlog.contextvars.clear_contextvars()


def test_the_kafka_clients_lines_are_not_shipped_and_the_oldest_go_first() -> None:
    buffer: deque[Line] = deque(maxlen=2)
    handler = ShippingHandler(buffer)
    shipped_by(handler, "aiokafka.producer", "sending")
    shipped_by(handler, "faststream.kafka", next(iter(EXPECTED_LIBRARY_WARNINGS)))
    for n in range(3):
        shipped_by(handler, "fragrance_ai.test", f"line {n}")
    assert [orjson.loads(line)["event"] for _, line in buffer] == ["line 1", "line 2"]
    assert all(key is None for key, _ in buffer)


def test_a_follower_keeps_its_job_and_its_service_or_its_instances() -> None:
    about_the_job = {"event": "Processed", "job_id": JOB}
    assert wanted(about_the_job, "worker-llm", JOB, "worker")
    assert wanted(about_the_job, "worker-llm", None, "worker-llm")
    assert not wanted(about_the_job, "worker-llm", None, "work")
    assert not wanted(about_the_job, "api", None, "worker")
    assert not wanted({"event": "api listening"}, "api", JOB, None)
    assert wanted({"event": "api listening"}, "api", None, None)


def test_a_followed_line_reads_like_the_console_after_its_service() -> None:
    line = console_line(
        {"service": "worker-rl", "event": "Processed", "level": "info", "job_id": JOB,
         "logger": "faststream.kafka", "timestamp": "2026-01-02T03:04:05Z"},
        colors=False,
    )  # fmt: skip
    assert line.startswith("worker-rl  ")
    assert "Processed" in line and f"job_id={JOB}" in line
    assert "2026-01-02" not in line  # the time of day only, as on the console


def test_a_structlog_record_ships_with_its_full_time_while_the_console_shows_the_hour(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "console")
    buffer: deque[Line] = deque()
    handler = ShippingHandler(buffer)
    logging.getLogger().addHandler(handler)
    try:
        structlog.get_logger("fragrance_ai.test").info("job_queued")
    finally:
        root = logging.getLogger()
        for added in [handler, *(h for h in root.handlers if h.get_name() == "fragrance_ai")]:
            root.removeHandler(added)
        structlog.reset_defaults()
    [(_, line)] = buffer
    assert datetime.fromisoformat(orjson.loads(line)["timestamp"]).tzinfo is not None
    assert re.match(r"^\d\d:\d\d:\d\d \[info", capsys.readouterr().err)
