"""`fragrance-ai embedded up` as a user runs it: it prints where the broker and the
database are, both answer there, and Ctrl-C stops them and exits cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from fragrance_ai.embedded.postgres import running_postmaster
from tests.integration.conftest import CLI, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

EXPORT = re.compile(r"^export (\w+)=(.+)$", re.MULTILINE)


def exported(text: str) -> dict[str, str]:
    """The variables of the `export NAME=value` lines, unquoted as a shell would."""
    return {name: value.strip("'") for name, value in EXPORT.findall(text)}


async def test_embedded_up_serves_both_parts_until_ctrl_c() -> None:
    with tempfile.TemporaryDirectory(prefix="fragrance-up-") as folder:
        data_dir, output = Path(folder) / "postgres", Path(folder) / "up.log"
        with output.open("w+b") as log:
            process = subprocess.Popen(
                [CLI, "embedded", "up", "--kafka-port", "0", "--data-dir", str(data_dir)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "APP_ENV": "development"}, start_new_session=True,
            )  # fmt: skip
            try:

                async def both_exported() -> dict[str, str] | None:
                    assert process.poll() is None, output.read_text()
                    found = exported(output.read_text())
                    return (
                        found if {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"} <= set(found) else None
                    )

                urls = await wait_for(both_exported, 60, "the export lines")
                conn = await asyncpg.connect(urls["DATABASE_URL"])
                try:
                    assert await conn.fetchval("SELECT 1") == 1
                finally:
                    await conn.close()
                producer = AIOKafkaProducer(bootstrap_servers=urls["KAFKA_BOOTSTRAP_SERVERS"])
                await producer.start()
                try:
                    await producer.send_and_wait("embedded.up.check", b"hello")
                finally:
                    await producer.stop()

                # What a terminal's Ctrl-C does: SIGINT to the foreground process group.
                os.killpg(process.pid, signal.SIGINT)
                returncode = await asyncio.to_thread(process.wait, 60)
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            assert returncode == 0, output.read_text()
            assert running_postmaster(data_dir) is None
            host, port = urls["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)
            with pytest.raises(OSError):
                socket.create_connection((host, int(port)), timeout=5).close()
