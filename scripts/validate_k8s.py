"""Check the Kubernetes manifests against their schemas, offline; exit 1 on any error.

Built-in kinds: kubernetes-validate's schemas, strict (an unknown field is an error,
where the API server would drop it without a word). Custom resources: the
openAPIV3Schema of a CRD vendored under infra/k8s/crds/, with unknown fields refused
the same way. The Kustomization has no published schema: its listed files must exist.

    python scripts/validate_k8s.py [folder]      (default infra/k8s)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.33.0"
"""The oldest Kubernetes the manifests support (a schema newer than the cluster may
accept fields it does not know)."""


def crd_schemas(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) to the schema of each version of each vendored CRD."""
    schemas = {}
    for path in sorted(folder.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = version["schema"]["openAPIV3Schema"]
                schemas[(f"{group}/{version['name']}", kind)] = refuse_unknown_fields(schema)
    return schemas


def refuse_unknown_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every object that lists its properties closed to others."""
    closed = dict(schema)
    if "properties" in closed:
        closed["properties"] = {
            k: refuse_unknown_fields(v) for k, v in closed["properties"].items()
        }
        open_ended = "additionalProperties" in closed or closed.get(
            "x-kubernetes-preserve-unknown-fields"
        )
        if not open_ended:
            closed["additionalProperties"] = False
    for key in ("items", "additionalProperties"):
        if isinstance(closed.get(key), dict):
            closed[key] = refuse_unknown_fields(closed[key])
    return closed


def problems_of(path: Path, resource: dict[str, Any], crds: dict[Any, Any]) -> list[str]:
    api_version, kind = resource.get("apiVersion", ""), resource.get("kind", "")
    if kind == "Kustomization":
        listed = resource.get("resources", [])
        return [f"lists {name}, which does not exist" for name in listed
                if not (path.parent / name).exists()]  # fmt: skip
    if (api_version, kind) in crds:
        validator = jsonschema.Draft7Validator(crds[(api_version, kind)])
        return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in validator.iter_errors(resource)]  # fmt: skip
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as e:
        return [str(e.message)]
    return []


def main(folder: Path) -> int:
    crds = crd_schemas(folder / "crds")
    failures = 0
    for path in sorted(folder.glob("*.yaml")):
        for resource in yaml.safe_load_all(path.read_text()):
            if not resource:
                continue
            name = f"{path}: {resource.get('kind')}/{resource.get('metadata', {}).get('name', '')}"
            problems = problems_of(path, resource, crds)
            failures += bool(problems)
            print(f"{'FAIL' if problems else 'ok  '} {name}")
            for problem in problems:
                print(f"       {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("infra/k8s")))
