"""Hooks for the Schemathesis run of test_api_fuzzing.py (SCHEMATHESIS_HOOKS names this
module). A generated Idempotency-Key repeats across cases with other bodies, which the
API rightly answers 422: every well-formed key is made fresh, a malformed one is kept
so its 400 is still tested. Replays of one key are tested in test_api_access.py."""

import re
import uuid
from typing import Any

import schemathesis

WELL_FORMED = re.compile(r"^[\x21-\x7e]{1,255}$")


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any) -> None:
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and WELL_FORMED.fullmatch(key):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
