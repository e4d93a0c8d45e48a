"""What the API shows a key without `admin`: the job and its events, less the internals.

Left out: which worker ran a stage (its host and pid), the models' raw output and how
the brief was read (`details`), the error behind a failure (`detail`: exception text),
and the files a training run wrote (`checkpoint`, `policy`). Keys with `admin` see all.
"""

from typing import Any

from fragrance_ai.store import ApiKey, Scope
from schemas.jobs import JobView

HIDDEN_EVENT_FIELDS: dict[str, frozenset[str]] = {
    "stage_started": frozenset({"worker"}),
    "brief_interpreted": frozenset({"details"}),
    "job_failed": frozenset({"detail"}),
}
HIDDEN_OUTCOME_FIELDS = frozenset({"checkpoint", "policy"})


def sees_internals(key: ApiKey) -> bool:
    return Scope.ADMIN in key.scopes


def _outcome(outcome: dict[str, Any] | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {name: value for name, value in outcome.items() if name not in HIDDEN_OUTCOME_FIELDS}


def job_for(key: ApiKey, job: JobView) -> JobView:
    if sees_internals(key):
        return job
    return job.model_copy(update={"result": _outcome(job.result)})


def event_for(key: ApiKey, type: str, payload: dict[str, Any]) -> dict[str, Any]:
    if sees_internals(key):
        return payload
    hidden = HIDDEN_EVENT_FIELDS.get(type, frozenset())
    shown = {name: value for name, value in payload.items() if name not in hidden}
    if type == "policy_trained":
        shown["outcome"] = _outcome(shown.get("outcome"))
    return shown
