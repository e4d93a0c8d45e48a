"""HTTP request and response bodies of the public API."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.brief import MAX_BRIEF_CHARS
from schemas.messages import FormulationOptions


class FormulationRequest(BaseModel):
    """Body of `POST /v1/formulations`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    brief: str = Field(
        min_length=1,
        max_length=MAX_BRIEF_CHARS,
        description="The brief in plain words",
        examples=["a fresh citrus summer scent for men, woody base, under $40/kg"],
    )
    options: FormulationOptions = Field(default_factory=FormulationOptions)


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
