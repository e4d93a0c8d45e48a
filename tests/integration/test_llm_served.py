"""The LLM worker asking a model served on a real OpenAI-compatible server.

The server is transformers' own (`transformers serve`), serving the packaged SmolLM2
through scripts/serve_model.py: it stands in for the vLLM services of staging and
production, which need a GPU. It has no guided decoding, so the model is asked without a
response schema (constrained_decoding off) and its replies are validated afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from fragrance_ai.embedded.broker import free_loopback_port
from tests.integration.conftest import Api, Launcher, Program, events_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

SCRIPT = Path(__file__).parents[2] / "scripts" / "serve_model.py"
BRIEF = "a fresh citrus cologne with bergamot, under $40/kg"


async def _serve(launch: Launcher, directory: Path) -> tuple[str, Program]:
    """scripts/serve_model.py on a free port; its base URL once it lists its model."""
    port = free_loopback_port()
    log = (launch.log_dir / "model-server.log").open("w+b")
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(directory), "--env", "testing", "--port", str(port)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env=launch.env(), start_new_session=True,
    )  # fmt: skip
    program = Program("model-server", process, log)
    launch.programs.append(program)
    base_url = f"http://127.0.0.1:{port}/v1"

    async def lists_the_model() -> bool:
        if not program.is_running():
            raise AssertionError(f"the model server exited:\n{program.log_text()[-3000:]}")
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{base_url}/models") as reply:
                return reply.status == 200
        except aiohttp.ClientConnectionError:
            return False

    await wait_for(lists_the_model, 300, "the model server to list its model", every_s=1)
    return base_url, program


def _served(base_url: str, directory: Path) -> dict[str, str]:
    """The testing ensemble's SmolLM2, asked of the server instead of loaded here."""
    prefix = "FRAGRANCE_LLM_ENSEMBLE__MODELS__SMOLLM2__"
    return {
        "FRAGRANCE_WORKERS__LLM__READER": "ensemble",
        "FRAGRANCE_CACHE__ENABLED": "true",
        f"{prefix}BACKEND": "openai",
        f"{prefix}BASE_URL": base_url,
        f"{prefix}SOURCE": str(directory),
        f"{prefix}CONSTRAINED_DECODING": "false",
        f"{prefix}MAX_RETRIES": "1",
    }


async def test_a_served_model_votes_is_cached_and_its_loss_leaves_the_rules(
    launch: Launcher, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    directory = tmp_path / "smollm2"
    base_url, server = await _serve(launch, directory)
    api = Api(http, await launch.api())
    await launch.worker("llm", "llm-served", **_served(base_url, directory))
    await launch.worker("rl", "rl-a")

    first = await api.submit(BRIEF)
    job = await api.finished(first, timeout_s=300)
    assert job["status"] == "succeeded", job["error"]
    [read] = await events_of(launch.database_url, first, "brief_interpreted")
    [smollm2] = read["details"]["outcomes"]
    assert smollm2["model"] == "smollm2" and smollm2["raw_output"], smollm2
    assert smollm2["latency_s"] > 0 and smollm2["tokens_generated"] > 0
    assert "POST /v1/chat/completions" in server.log_text()

    again = await api.submit(BRIEF.upper())
    job = await api.finished(again, timeout_s=120)
    [cached] = await events_of(launch.database_url, again, "brief_interpreted")
    assert cached["details"]["cache"] == "hit"
    assert cached["interpretation"] == read["interpretation"]

    # The server goes away: after its retries the model's reply counts as invalid, and the
    # brief is read by the rules alone; the job still succeeds.
    server.stop()
    lost = await api.submit("a warm amber with vanilla and labdanum")
    job = await api.finished(lost, timeout_s=120)
    assert job["status"] == "succeeded", job["error"]
    [read] = await events_of(launch.database_url, lost, "brief_interpreted")
    [smollm2] = read["details"]["outcomes"]
    assert smollm2["valid"] is False
    assert "2 attempts" in smollm2["error"], smollm2
