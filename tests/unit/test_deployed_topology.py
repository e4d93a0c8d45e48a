"""The workers that compose and Kubernetes run consume, between them, every command topic.

A worker the deployment files start is read from them as they are: a compose service's
`command`, or else the `CMD` of the Dockerfile stage it builds; a Kubernetes container's
`command` and `args`. Its role goes through the same map the CLI uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from brokers.topics import COMMAND_ROLES, WORKER_ROLES, command_topic
from fragrance_ai.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
WORKER_COMMAND = ["fragrance-ai", "worker"]


def dockerfile_commands(path: Path) -> dict[str, list[str]]:
    """The exec-form `CMD` of each named stage of a Dockerfile (an indented `CMD`
    continues a `HEALTHCHECK`)."""
    commands: dict[str, list[str]] = {}
    stage = None
    for line in path.read_text().splitlines():
        words = line.split()
        if words[:1] == ["FROM"] and "AS" in words:
            stage = words[words.index("AS") + 1]
        elif line.startswith("CMD ") and stage is not None:
            commands[stage] = json.loads(line.removeprefix("CMD"))
    return commands


def compose_commands(path: Path, dockerfile: Path) -> dict[str, list[str]]:
    """Each compose service's command: its own, or its build target's `CMD`."""
    stages = dockerfile_commands(dockerfile)
    commands = {}
    for name, service in yaml.safe_load(path.read_text())["services"].items():
        target = (service.get("build") or {}).get("target")
        command = service.get("command") or stages.get(target)
        if command:
            commands[f"compose:{name}"] = list(command)
    return commands


def kubernetes_commands(folder: Path) -> dict[str, list[str]]:
    """Each Kubernetes container's command line, `command` then `args`."""
    commands = {}
    for path in sorted(folder.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            for container in _containers(document or {}):
                line = [*container.get("command", []), *container.get("args", [])]
                commands[f"{path.name}:{document['metadata']['name']}"] = line
    return commands


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = document.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    containers: list[dict[str, Any]] = pod.get("containers", [])
    return containers


def deployed_workers() -> dict[str, str]:
    """Where each worker is started, and with which role."""
    lines = {
        **compose_commands(ROOT / "docker-compose.yml", ROOT / "Dockerfile"),
        **kubernetes_commands(ROOT / "infra" / "k8s"),
    }
    return {where: line[2] for where, line in lines.items() if line[:2] == WORKER_COMMAND}


def test_the_deployment_files_start_both_workers_in_compose_and_in_kubernetes() -> None:
    workers = deployed_workers()

    assert workers == {
        "compose:worker-llm": "llm",
        "compose:worker-rl": "rl",
        "worker-llm.yaml:fragrance-ai-worker-llm": "llm",
        "worker-rl.yaml:fragrance-ai-worker-rl": "rl",
    }


@pytest.mark.parametrize("deployment", ["compose:", ".yaml:"])
def test_each_deployment_consumes_every_command_topic(deployment: str) -> None:
    roles = {role for where, role in deployed_workers().items() if deployment in where}

    consumed = {command_topic(taken) for role in roles for taken in WORKER_ROLES[role]}

    assert consumed == {command_topic(role) for role in COMMAND_ROLES}


def test_the_cli_offers_every_worker_role_of_the_map() -> None:
    for role in WORKER_ROLES:
        assert build_parser().parse_args(["worker", role]).role == role


def test_an_unknown_worker_role_is_refused_with_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["worker", "gpu"])
    refusal = capsys.readouterr().err
    assert "invalid choice: 'gpu'" in refusal
    assert all(role in refusal.partition("choose from")[2] for role in WORKER_ROLES)


def test_fragrance_ai_worker_rl_starts_a_worker_for_optimising_and_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[tuple[str, ...]] = []

    async def worker(settings: Any, roles: tuple[str, ...], stop: Any) -> None:
        started.append(roles)

    async def until_signalled(serve: Any, grace_s: float) -> None:
        await serve(None)

    monkeypatch.setattr("fragrance_ai.programs.worker.run_worker", worker)
    monkeypatch.setattr("fragrance_ai.cli.programs.run_until_signalled", until_signalled)
    args = build_parser().parse_args(["worker", "rl"])

    assert args.run(args) == 0
    assert started == [("rl", "training")]
