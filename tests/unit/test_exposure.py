"""What a deployment exposes, read from its files: no committed secrets outside the
development profile, monitoring UIs on loopback, locked-down containers, and ingress
closed unless a policy opens it."""

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
K8S = ROOT / "infra" / "k8s"
OUR_IMAGES = "registry.example.com/fragrance-ai-"
MONITORING = ("prometheus", "grafana", "tensorboard")


def _documents() -> list[dict[str, Any]]:
    return [
        document
        for path in sorted(K8S.glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document and document.get("kind") != "Kustomization"
    ]


def test_committed_env_files_hold_no_password_but_the_local_development_ones() -> None:
    committed = subprocess.run(
        ["git", "ls-files", "infra/env"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "infra/env/.env.dev" in committed
    for name in committed:
        if name.endswith(".env.dev"):
            continue
        text = (ROOT / name).read_text()
        passwords = re.findall(r"^\w*PASSWORD=(.*)$", text, flags=re.M)
        passwords += re.findall(r"://[^:/@\s]+:([^@\s]+)@", text)
        assert passwords and set(passwords) == {"CHANGE-ME"}, name


def test_monitoring_uis_are_published_on_loopback_only() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in MONITORING:
        for port in services[name]["ports"]:
            assert port.startswith("127.0.0.1:"), (name, port)


def test_every_container_of_ours_runs_unprivileged_on_a_read_only_root() -> None:
    pods = [
        d["spec"]["template"]["spec"] for d in _documents() if d["kind"] in {"Deployment", "Job"}
    ]
    ours = [pod for pod in pods if pod["containers"][0]["image"].startswith(OUR_IMAGES)]
    assert len(ours) == 5  # the API, two workers, two set-up jobs
    for pod in ours:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}


def test_ingress_is_denied_unless_a_policy_opens_it() -> None:
    policies = {
        d["metadata"]["name"]: d["spec"] for d in _documents() if d["kind"] == "NetworkPolicy"
    }
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    inference = policies["inference-from-llm-workers"]["ingress"][0]["from"][0]
    assert inference["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "worker-llm"
