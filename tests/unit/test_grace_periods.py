"""Compose and Kubernetes wait longer than the programs take to stop by themselves, and
the steps of each program's stop fit within its own bound."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("app", "worker-llm", "worker-rl")


def production_settings() -> dict[str, Any]:
    """settings.toml's defaults with the production profile over them, section by section."""
    layers = tomllib.loads((ROOT / "settings" / "settings.toml").read_text())
    merged: dict[str, Any] = {}
    for layer in (layers["default"], layers.get("production", {})):
        for section, values in layer.items():
            merged.setdefault(section, {}).update(values)
    return merged


def seconds(text: str) -> float:
    assert text.endswith("s"), f"{text!r}: write compose grace periods in seconds"
    return float(text.removesuffix("s"))


def orchestrator_grace_s() -> dict[str, float]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    graces = {f"compose:{name}": seconds(compose[name]["stop_grace_period"]) for name in SERVICES}
    for name in SERVICES:
        documents = yaml.safe_load_all((ROOT / "infra" / "k8s" / f"{name}.yaml").read_text())
        [deployment] = [d for d in documents if d and d["kind"] == "Deployment"]
        graces[f"k8s:{name}"] = float(
            deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        )
    return graces


@pytest.mark.parametrize("where", [f"{d}:{s}" for d in ("compose", "k8s") for s in SERVICES])
def test_the_orchestrator_waits_longer_than_the_program_bounds_its_own_stop(where: str) -> None:
    grace_s = float(production_settings()["shutdown"]["grace_s"])
    assert orchestrator_grace_s()[where] > grace_s


def test_each_programs_stop_fits_within_its_bound() -> None:
    settings = production_settings()
    step_s, grace_s = float(settings["shutdown"]["step_s"]), float(settings["shutdown"]["grace_s"])
    kafka_close_s = float(settings["kafka"]["consumer"]["graceful_timeout_s"]) + step_s
    # The API: requests in flight (step_s), then its resources, the Kafka clients last.
    api_s = step_s + kafka_close_s + step_s
    # worker rl: trainings drain, then the consumer finishes the message in hand.
    worker_s = float(settings["training"]["drain_s"]) + step_s + kafka_close_s
    assert max(api_s, worker_s) <= grace_s
