"""The `fragrance-ai` client commands against a running system: a perfumer submits a
brief and watches it through to the formula, lists and reads jobs, watches a training
run, and meets every error as one line."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from fragrance_ai.embedded.broker import free_loopback_port
from tests.integration.conftest import BRIEF, CLI, Launcher, create_key

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@dataclass(frozen=True)
class Ran:
    status: int
    out: str
    err: str


async def cli(launch: Launcher, *args: str, **env: str) -> Ran:
    """One `fragrance-ai` command, as a user in a wide terminal-less shell runs it."""
    process = await asyncio.create_subprocess_exec(
        CLI, *args,
        env=launch.env(COLUMNS="160", **env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 180)
    return Ran(process.returncode or 0, out.decode(), err.decode())


def assert_one_line(ran: Ran, *words: str) -> None:
    assert ran.status == 1, ran
    assert "Traceback" not in ran.err, ran.err
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    for word in words:
        assert word in ran.err, ran.err


async def test_a_brief_is_watched_to_its_formula_then_listed_shown_and_a_run_trained(
    launch: Launcher, tmp_path: Path
) -> None:
    data_home = {"XDG_DATA_HOME": str(tmp_path)}
    url = await launch.api()
    await launch.worker("llm", "llm-1")
    await launch.worker("rl", "rl-1", **data_home)
    client = {"FRAGRANCE_API_URL": url, "FRAGRANCE_API_KEY": await create_key(launch.database_url)}

    watched = await cli(launch, "submit", "--watch", BRIEF, **client)
    assert watched.status == 0, watched
    for shown in ("brief interpreted", "formula optimised", "Material", "Cost $", "IFRA"):
        assert shown in watched.out, watched.out
    for role in ("top ", "heart ", "base "):
        assert role in watched.out, watched.out
    job_id = watched.out.split("job ", 1)[1].split()[0]

    listed = await cli(launch, "jobs", "list", **client)
    assert job_id in listed.out and "succeeded" in listed.out, listed
    shown = await cli(launch, "jobs", "show", job_id, "--json", **client)
    job = orjson.loads(shown.out)
    assert job["status"] == "succeeded"
    assert job["formula"]["lines"]

    failed = await cli(
        launch, "submit", "--watch", "please write me a poem about the sea", **client
    )
    assert_one_line(failed, "failed", "asks for a poem, not a scent")

    trained = await cli(
        launch, "train", "--watch", "--timesteps", "4096", "--num-envs", "64", **client
    )
    assert trained.status == 0, trained
    assert "reward" in trained.out and "4096 steps" in trained.out, trained.out
    # The worker was given no CHECKPOINT_DIR: the run lands in the user's data folder.
    assert list((tmp_path / "fragrance-ai" / "checkpoints").glob("run-*/*")), trained.out


async def test_each_error_is_one_line_naming_what_to_do(launch: Launcher) -> None:
    url = await launch.api()
    key = await create_key(launch.database_url)
    missing = str(uuid.uuid4())

    not_found = await cli(
        launch, "jobs", "show", missing, FRAGRANCE_API_URL=url, FRAGRANCE_API_KEY=key
    )
    assert_one_line(not_found, missing, "(404)")

    refused_key = "fai_000000000000_" + "A" * 43
    refused = await cli(
        launch, "jobs", "list", FRAGRANCE_API_URL=url, FRAGRANCE_API_KEY=refused_key
    )
    assert_one_line(refused, "(401)", "FRAGRANCE_API_KEY")

    no_key = await cli(launch, "jobs", "list", FRAGRANCE_API_URL=url)
    assert_one_line(no_key, "no API key", "FRAGRANCE_API_KEY")

    nobody = f"http://127.0.0.1:{free_loopback_port()}"
    unreachable = await cli(launch, "jobs", "list", FRAGRANCE_API_URL=nobody, FRAGRANCE_API_KEY=key)
    assert_one_line(unreachable, f"cannot reach the API at {nobody}", "refused")
