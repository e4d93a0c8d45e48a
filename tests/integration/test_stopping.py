"""Stopping `fragrance-ai dev` as a terminal does: the signal goes to the whole foreground
process group, not to `dev` alone. Whatever the signal and whatever is in flight, the
process tree (dev, the embedded broker, the embedded PostgreSQL) is gone within the grace
and no port it listened on is left open; a run killed outright is cleaned up by the next.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil
import pytest

from fragrance_ai.embedded.broker import free_loopback_port
from tests.integration.conftest import BRIEF, Api, Launcher, Program, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

GRACE_S = 30.0
# Exiting, and the kernel closing sockets, after the program's own last line.
EXIT_ALLOWANCE_S = 5.0


@dataclass
class Dev:
    """One `fragrance-ai dev` on embedded parts, with a data folder of its own."""

    program: Program
    api: Api
    data_dir: Path

    @property
    def pid(self) -> int:
        return self.program.process.pid

    def signal_group(self, signum: signal.Signals) -> None:
        """What a terminal does on Ctrl-C: every process of the foreground group."""
        os.killpg(os.getpgid(self.pid), signum)

    def postmaster(self) -> psutil.Process | None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
            return psutil.Process(pid)
        except (OSError, ValueError, psutil.NoSuchProcess):
            return None

    def tree(self) -> list[psutil.Process]:
        """dev and its children, and the PostgreSQL server (pg_ctl detached it) with its own."""
        roots = [psutil.Process(self.pid)]
        if (postmaster := self.postmaster()) is not None:
            roots.append(postmaster)
        return [p for root in roots for p in (root, *root.children(recursive=True))]

    def count(self, line: str) -> int:
        """How many log lines have this message."""
        return len(re.findall(rf"\] {re.escape(line)}\s", self.program.log_text()))

    async def consuming(self) -> bool:
        return "worker consuming" in self.program.log_text()

    async def stopping(self) -> bool:
        return self.count("stopping") > 0


StartDev = Callable[..., Awaitable[Dev]]


def listening_ports(processes: list[psutil.Process]) -> set[int]:
    pids = {p.pid for p in processes}
    return {
        c.laddr.port
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.pid in pids
    }


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def gone_within(processes: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Wait for every process to end; those still alive."""
    _, alive = await asyncio.to_thread(psutil.wait_procs, processes, timeout_s)
    return alive


async def tree_gone_within(dev: Dev, tree: list[psutil.Process], timeout_s: float) -> int | None:
    """dev's exit status once the whole tree has ended, None if some of it is still alive.
    dev is waited for through its Popen, which alone can read its status."""
    try:
        status = await asyncio.to_thread(dev.program.process.wait, timeout_s)
    except subprocess.TimeoutExpired:
        return None
    rest = [p for p in tree if p.pid != dev.pid]
    return None if await gone_within(rest, EXIT_ALLOWANCE_S) else status


@pytest.fixture
async def start_dev(http: aiohttp.ClientSession) -> AsyncIterator[StartDev]:
    """Start `dev` in a session of its own (as a shell starts a job) on embedded parts."""
    with (
        tempfile.TemporaryDirectory(prefix="fragrance-logs-") as logs,
        tempfile.TemporaryDirectory(prefix="fragrance-data-") as data_home,
    ):
        launcher = Launcher("", "", Path(logs))
        try:

            async def start(name: str = "dev", **env: str) -> Dev:
                port = free_loopback_port()
                program = launcher.start(
                    name,
                    ["dev", "--port", str(port)],
                    XDG_DATA_HOME=data_home,
                    FRAGRANCE_SHUTDOWN__GRACE_S=str(GRACE_S),
                    **env,
                )
                dev = Dev(
                    program,
                    Api(http, f"http://127.0.0.1:{port}"),
                    Path(data_home) / "fragrance-ai" / "postgres",
                )

                async def running() -> bool:
                    assert program.is_running(), program.log_text()
                    return "Fragrance AI is running at" in program.log_text()

                await wait_for(running, 90, f"{name} to print its banner")
                dev.api.key = dev_key(program.log_text())
                return dev

            yield start
        finally:
            launcher.stop_all()
            for leftover in _postmasters_of(Path(data_home)):
                leftover.kill()
            print(launcher.dump_logs(), file=sys.stderr)


def dev_key(banner: str) -> str:
    """The development API key `dev` printed: every start makes one."""
    found = re.search(r"API key +(fai_\S+) +\(tenant dev, every scope", banner)
    assert found, banner
    return found[1]


def _postmasters_of(data_home: Path) -> list[psutil.Process]:
    pid_file = data_home / "fragrance-ai" / "postgres" / "postmaster.pid"
    try:
        return [psutil.Process(int(pid_file.read_text().split()[0]))]
    except (OSError, ValueError, psutil.NoSuchProcess):
        return []


async def test_dev_starts_quietly_and_prints_a_short_banner(start_dev: StartDev) -> None:
    dev: Dev = await start_dev()
    text = dev.program.log_text()
    before, _, banner = text.partition("Fragrance AI is running at")
    assert not re.search(r"\[(aiokafka|faststream|aiohttp)[^\]]*\]", before), before
    assert len(before.splitlines()) < 30, before
    for shown in (f"{dev.api.base_url}/", "fragrance-ai submit", "fragrance-ai jobs list"):
        assert shown in banner, banner
    assert f"data      {dev.data_dir.parent}" in banner, banner


async def assert_stops_cleanly(dev: Dev, tree: list[psutil.Process], ports: set[int]) -> None:
    status = await tree_gone_within(dev, tree, GRACE_S + EXIT_ALLOWANCE_S)
    assert status == 0, f"exit status {status}\n{dev.program.log_text()[-4000:]}"
    assert not [port for port in ports if accepts(port)], "a port is still listening"
    assert dev.count("stopping") == 1, dev.program.log_text()[-4000:]
    assert dev.count("stopped") == 1, dev.program.log_text()[-4000:]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("in_flight", [False, True], ids=["idle", "jobs-in-flight"])
async def test_a_signal_to_the_process_group_stops_the_whole_tree(
    start_dev: StartDev, signum: signal.Signals, in_flight: bool
) -> None:
    dev: Dev = await start_dev()
    tree = dev.tree()
    assert len(tree) > 2, "dev, the broker and the database should all be running"
    if in_flight:
        # Right after the banner the workers may still be joining their groups.
        for _ in range(4):
            await dev.api.submit(BRIEF)
    else:
        await wait_for(dev.consuming, 60, "the workers to consume")
    ports = listening_ports(tree)
    dev.signal_group(signum)
    await assert_stops_cleanly(dev, tree, ports)


async def test_a_broker_that_has_gone_does_not_hold_the_stop_up(start_dev: StartDev) -> None:
    dev: Dev = await start_dev()
    await dev.api.submit(BRIEF)
    tree = dev.tree()
    ports = listening_ports(tree)
    broker = next(p for p in psutil.Process(dev.pid).children() if "tansu" in p.name())
    broker.kill()
    await gone_within([broker], 10)
    dev.signal_group(signal.SIGINT)
    await assert_stops_cleanly(dev, tree, ports)
    assert dev.count("the embedded broker had already exited") == 1


async def test_a_second_ctrl_c_forces_the_exit_and_takes_the_embedded_parts(
    start_dev: StartDev,
) -> None:
    dev: Dev = await start_dev()
    for _ in range(4):
        await dev.api.submit(BRIEF)
    tree = dev.tree()
    ports = listening_ports(tree)
    dev.signal_group(signal.SIGINT)
    await wait_for(dev.stopping, 10, "dev to start stopping")
    dev.signal_group(signal.SIGINT)
    status = await tree_gone_within(dev, tree, GRACE_S + EXIT_ALLOWANCE_S)
    # Forced (1), unless the orderly stop happened to finish first (0).
    assert status in (0, 1), f"exit status {status}\n{dev.program.log_text()[-4000:]}"
    assert not [port for port in ports if accepts(port)], "a port is still listening"


async def test_the_next_run_cleans_up_after_a_killed_one(start_dev: StartDev) -> None:
    killed: Dev = await start_dev("killed")
    postmaster = killed.postmaster()
    assert postmaster is not None
    broker = next(p for p in psutil.Process(killed.pid).children() if "tansu" in p.name())
    killed.program.kill()  # SIGKILL to dev alone: it cannot stop anything
    assert not await gone_within([broker], 10), "the broker outlived the process that owned it"
    assert postmaster.is_running(), "PostgreSQL runs on in a session of its own"

    dev: Dev = await start_dev("next")
    assert dev.count("taking over a PostgreSQL that a killed run left running;") == 1
    tree = dev.tree()
    assert postmaster in tree
    ports = listening_ports(tree)
    dev.signal_group(signal.SIGINT)
    await assert_stops_cleanly(dev, tree, ports)


async def test_a_busy_metrics_port_is_named_with_its_holder_before_anything_starts(
    tmp_path: Path,
) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        launcher = Launcher("", "", tmp_path)
        try:
            dev = launcher.start(
                "dev",
                ["dev", "--port", str(free_loopback_port())],
                XDG_DATA_HOME=str(tmp_path / "data"),
                FRAGRANCE_METRICS__LLM_PORT=str(port),
            )
            status = await asyncio.to_thread(dev.process.wait, 60)
        finally:
            launcher.stop_all()
    output = dev.log_text()
    assert status == 1, output
    assert f"cannot listen on 127.0.0.1:{port} for worker metrics" in output
    assert f"by pid {os.getpid()} (" in output and f"`kill {os.getpid()}`" in output
    assert not (tmp_path / "data").exists(), "nothing should start before the ports are checked"


async def test_sigterm_ends_open_event_streams_before_the_servers_shutdown_wait(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    # With requests in flight given ten minutes, an event stream left open would hold the
    # stop far past the bound below: it ends only because the API closes it first.
    url = await launch.api(FRAGRANCE_SHUTDOWN__STEP_S="600", FRAGRANCE_SHUTDOWN__GRACE_S="1200")
    [api] = launch.programs
    job_id = await Api(http, url).submit(BRIEF)
    async with http.get(f"{url}/v1/jobs/{job_id}/events") as stream:
        assert stream.status == 200
        api.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(stream.content.read(), 60)
    status = await asyncio.to_thread(api.process.wait, 60)
    assert status == 0, api.log_text()[-4000:]
