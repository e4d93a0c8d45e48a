"""Every metric the Grafana dashboard and the Prometheus rules query is one the code
registers: a renamed metric must not leave an empty panel or a silent alert behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from fragrance_ai.metrics.exposition import all_metric_names

INFRA = Path(__file__).resolve().parents[2] / "infra"
DASHBOARDS = sorted((INFRA / "grafana" / "dashboards").glob("*.json"))
RULES = INFRA / "prometheus" / "rules.yml"

# Series Prometheus makes itself for every target.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "bool", "offset", "inf", "nan",
}  # fmt: skip

STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
LABEL_MATCHERS = re.compile(r"\{[^}]*\}")
RANGE = re.compile(r"\[[^\]]*\]")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?!\w)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions,
    keywords, label names in groupings and matchers, or string contents."""
    for pattern in (STRING, LABEL_MATCHERS, RANGE, GROUPING):
        expr = pattern.sub(" ", expr)
    return {
        name
        for name, call in IDENTIFIER.findall(expr)
        if not call and name.lower() not in PROMQL_WORDS
    }


def dashboard_queries() -> list[str]:
    return [
        target["expr"]
        for path in DASHBOARDS
        for panel in json.loads(path.read_text())["panels"]
        for target in panel.get("targets", [])
    ]


def rule_queries() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_the_parser_finds_metrics_and_skips_functions_and_labels() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, model) (rate(llm_x_bucket{model="a"}[5m])))'
        " / clamp_min(sum(http_requests_total), 1e-9) > 3 and up == 0"
    )
    assert metric_names(expr) == {"llm_x_bucket", "http_requests_total", "up"}


@pytest.mark.parametrize(
    ("source", "queries"), [("dashboard", dashboard_queries()), ("rules", rule_queries())]
)
def test_every_queried_metric_is_registered(source: str, queries: list[str]) -> None:
    assert queries, f"the {source} has no queries"
    queried = set().union(*(metric_names(q) for q in queries))
    unknown = queried - all_metric_names() - PROMETHEUS_OWN
    assert not unknown, f"the {source} queries metrics nothing registers: {sorted(unknown)}"


def test_the_dashboard_covers_what_operators_watch() -> None:
    queried = set().union(*(metric_names(q) for q in dashboard_queries()))
    assert {
        "http_requests_total", "http_request_duration_seconds_bucket", "jobs", "queue_size",
        "llm_inference_duration_seconds_bucket", "rl_training_episodes_total",
        "rl_mean_episode_reward",
    } <= queried  # fmt: skip


def test_infra_scrapes_and_scales_what_the_settings_say() -> None:
    from fragrance_ai.config_loader import load_settings

    settings = load_settings("development")
    scrape = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
    ports = {job["job_name"]: job["dns_sd_configs"][0]["port"] for job in scrape["scrape_configs"]}
    assert ports == {
        "api": settings.api.port,
        "worker-llm": settings.metrics.llm_port,
        "worker-rl": settings.metrics.rl_port,
    }
    for role in ("llm", "rl"):
        documents = yaml.safe_load_all((INFRA / "k8s" / f"worker-{role}.yaml").read_text())
        scaled = next(d for d in documents if d["kind"] == "ScaledObject")
        assert scaled["spec"]["maxReplicaCount"] == settings.kafka.partitions.command
        assert scaled["spec"]["triggers"][0]["metadata"]["topic"] == f"fragrance.commands.{role}"
    rl_pod = yaml.safe_load_all((INFRA / "k8s" / "worker-rl.yaml").read_text())
    pod_spec = next(d for d in rl_pod if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert pod_spec["terminationGracePeriodSeconds"] > settings.training.drain_s
