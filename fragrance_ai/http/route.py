"""One route of the API: what aiohttp registers, and what the OpenAPI document says of it.

The application registers its routes from the same `Route` objects the document is
generated from (`fragrance_ai.http.routes.ROUTES`), so the two cannot drift apart.
"""

from dataclasses import dataclass, field

from pydantic import BaseModel

from fragrance_ai.http.problems import Handler


@dataclass(frozen=True)
class Answer:
    """A successful answer: a pydantic model as JSON, or a body of another media type."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    """Header name to its description."""


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    view: Handler
    summary: str
    answers: tuple[Answer, ...]
    body: type[BaseModel] | None = None
    body_required: bool = True
    parameters: tuple[str, ...] = ()
    """Header and query parameters, by their name in the document's components."""
    conflicts: str | None = None
    """When the route answers 409, and why."""
    tag: str = "jobs"
