"""HTTP request and response bodies of the public API."""

import re
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.brief import MAX_BRIEF_CHARS
from schemas.jobs import JobView
from schemas.messages import FormulationOptions
from schemas.training import TrainingProgress

# What str.strip removes: a brief needs one character that is neither that nor NUL. The
# document states it as a pattern, and `_printable` checks the same one, so the two agree.
_BLANK = "".join(char for char in map(chr, range(0x3001)) if char.isspace())
BRIEF_PATTERN = f"^[^\x00]*[^\x00{_BLANK}][^\x00]*$"


class FormulationRequest(BaseModel):
    """Body of `POST /v1/formulations`."""

    model_config = ConfigDict(extra="forbid")

    brief: str = Field(
        min_length=1,
        max_length=MAX_BRIEF_CHARS,
        description="The brief in plain words",
        examples=["a fresh citrus summer scent for men, woody base, under $40/kg"],
        json_schema_extra={"pattern": BRIEF_PATTERN},
    )
    options: FormulationOptions = Field(default_factory=FormulationOptions)

    @field_validator("brief")
    @classmethod
    def _printable(cls, brief: str) -> str:
        """Text PostgreSQL can store (no NUL, no lone surrogate) and not blank; stripped.
        The length bounds apply before the strip, as the document states them."""
        if "\x00" in brief:
            raise ValueError("a brief cannot contain the NUL character (U+0000)")
        if any("\ud800" <= char <= "\udfff" for char in brief):
            raise ValueError("a brief cannot contain a lone surrogate (U+D800 to U+DFFF)")
        if re.search(BRIEF_PATTERN, brief) is None:
            raise ValueError("a brief needs words, not only blanks")
        return brief.strip()


class JobAccepted(BaseModel):
    """Answer to an accepted job: where to follow it."""

    job_id: UUID
    status: str = Field(examples=["queued"])
    links: dict[str, str] = Field(
        description="Where to read the job and stream its events",
        examples=[{"self": "/v1/jobs/…", "events": "/v1/jobs/…/events"}],
    )


class FieldProblem(BaseModel):
    field: str = Field(description="Dotted path of the offending field", examples=["brief"])
    message: str = Field(examples=["String should have at least 1 character"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] = Field(default_factory=list)


class StreamedEvent(BaseModel):
    """The `data` of one Server-Sent Event: the event's number, type and time, then its
    payload's fields (those of the Kafka event of that type, less what the key may not see)."""

    model_config = ConfigDict(extra="allow")

    seq: int = Field(ge=1, description="The event's number in its job; also its SSE `id`")
    type: str = Field(description="What happened; also its SSE `event`", examples=["job_failed"])
    at: datetime = Field(description="When the event was stored")


class TrainingRunView(BaseModel):
    """Answer of `GET /v1/training-runs/{id}`."""

    job: JobView
    progress: TrainingProgress | None = Field(
        description="The latest iteration's figures; None before the first iteration"
    )


class PromotedPolicy(BaseModel):
    """Answer of `POST /v1/training-runs/{id}/promote`."""

    job_id: UUID
    run: str = Field(description="The run whose policy `optimizer=policy` now serves")
    served: bool = True


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    dependencies: dict[str, str] = Field(
        description="Each dependency's state: `ok`, or why it is not", examples=[{"broker": "ok"}]
    )


class KeyInfo(BaseModel):
    """``GET /v1/key``: what the key sent may do, so a client offers only that."""

    id: str = Field(description="The key's public id (the part before the secret)")
    tenant: str = Field(description="The tenant its jobs belong to")
    scopes: list[str] = Field(description="Its scopes: formulate, train, admin")
