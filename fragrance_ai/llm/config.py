"""The ensemble's configuration, parsed from the `llm_ensemble` settings table."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from schemas.brief import Brief


class SourceType(StrEnum):
    """Where a model's weights come from; none of them reaches a hub."""

    HF_CACHE = "hf_cache"
    PATH = "path"
    PACKAGE = "package"


class Quantization(StrEnum):
    NONE = "none"
    FOUR_BIT = "4bit"
    EIGHT_BIT = "8bit"


class Backend(StrEnum):
    TRANSFORMERS = "transformers"
    ONNX = "onnx"
    OPENAI = "openai"
    """An OpenAI-compatible inference server at `base_url` (vLLM, TGI, llama.cpp's server)."""


class FieldEvidence(BaseModel):
    """How far a model's reading of one Brief field can be trusted, measured against the
    labelled briefs relative to the rule-based reading, as log-odds that an item (a note,
    a family, a season...) is right. 0 is a coin toss; positive, more often right."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    confirms: float = Field(description="When the model and the rule-based reading both name it")
    adds: float = Field(description="When the model names it and the rule-based reading does not")
    omits: float = Field(description="When the rule-based reading names it and the model does not")


class ModelSpec(BaseModel):
    """One member of the ensemble."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Short name used in logs, metrics and results", examples=["qwen"])
    source_type: SourceType = Field(
        description="hf_cache: a repo id in the local HF cache; path: a directory or .gguf "
        "file; package: '<python package>/<file>' inside an installed package"
    )
    source: str = Field(
        min_length=1,
        description="Repo id, path, or package file",
        examples=["Qwen/Qwen2.5-7B-Instruct"],
    )
    gguf_file: str | None = Field(
        default=None, description="GGUF file name inside an hf_cache snapshot or directory"
    )
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="For a single-file model (a .gguf path or package file): its SHA-256, "
        "checked before loading; a mismatch is reported like a missing model",
    )
    enabled: bool = Field(default=True, description="Whether the model votes")
    device_map: str = Field(
        default="cpu", description="Passed to from_pretrained", examples=["auto"]
    )
    dtype: str = Field(
        default="auto", description="torch dtype name or 'auto'", examples=["bfloat16"]
    )
    max_new_tokens: int = Field(default=256, ge=16, le=4096, description="Generation length cap")
    quantization: Quantization = Field(
        default=Quantization.NONE, description="bitsandbytes loading; needs a CUDA GPU"
    )
    backend: Backend = Field(default=Backend.TRANSFORMERS, description="Inference backend")
    constrained_decoding: bool = Field(
        default=True,
        description="Hold each reply to the brief's JSON schema while it is generated "
        "(llguidance); off, replies are only validated afterwards",
    )
    base_url: str | None = Field(
        default=None,
        description="Backend 'openai': the server's API root; `source` is the served model name",
        examples=["http://vllm-qwen:8000/v1"],
    )
    api_key: SecretStr | None = Field(
        default=None, description="Backend 'openai': bearer token, from .secrets.toml or env"
    )
    max_concurrency: int = Field(
        default=16, ge=1, description="Backend 'openai': requests in flight from one worker"
    )
    max_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Backend 'openai': retries of a connection error or 429/5xx reply",
    )
    evidence: dict[str, FieldEvidence] = Field(
        default_factory=dict,
        description="Per Brief field, the model's calibrated evidence (bench/llm_eval.py "
        "--calibrate); a field without it is left to the rule-based reading",
    )
    calibrated_by: str | None = Field(
        default=None,
        description="Which bench command, commit and labelled set produced `evidence`",
    )

    @model_validator(mode="after")
    def _served_models_have_a_url(self) -> Self:
        if self.backend is Backend.OPENAI and not self.base_url:
            raise ValueError(f"model {self.name!r}: backend 'openai' needs a base_url")
        return self

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        unknown = sorted(set(self.evidence) - set(Brief.model_fields))
        if unknown:
            raise ValueError(f"evidence names fields a Brief does not have: {', '.join(unknown)}")
        return self


class EnsembleConfig(BaseModel):
    """The whole ensemble: its members and how their answers are combined and served."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    models: tuple[ModelSpec, ...] = Field(description="Every configured model, enabled or not")
    family_floor: float = Field(
        default=0.05,
        ge=0,
        lt=1,
        description="A source names a family when it has at least this share of its profile "
        "(calibrated with the models' evidence)",
    )
    max_input_tokens: int = Field(
        default=256, ge=8, description="Token budget of a brief, checked before inference"
    )
    repair_attempts: int = Field(default=1, ge=0, le=1, description="Repair prompts per output")
    batch_window_ms: float = Field(
        default=20.0, ge=0, description="How long a batch waits for more requests"
    )
    max_batch_size: int = Field(default=16, ge=1, description="Most requests in one generate")
    request_timeout_s: float = Field(default=120.0, gt=0, description="Per request, per model")
    hf_home: str | None = Field(default=None, description="HF_HOME; None: the library default")
    model_dirs: tuple[str, ...] = Field(
        default=(), description="Extra directories searched for <repo name> folders"
    )
    onnx_dir: str | None = Field(
        default=None,
        description="Where backend 'onnx' keeps its exports; None: the user cache folder",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [m.name for m in self.models]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"llm_ensemble.models names repeat: {', '.join(duplicated)}")
        return self

    @property
    def enabled_models(self) -> tuple[ModelSpec, ...]:
        return tuple(m for m in self.models if m.enabled)


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_ensemble_config(
    raw: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> EnsembleConfig:
    """Build the config from a settings table whose `models` maps name -> spec table.

    `overrides` is deep-merged first, so a caller can switch one field of one model
    (`{"models": {"qwen": {"enabled": False}}}`) without restating the rest.
    """
    table = _merged(_lowercase_keys(raw), _lowercase_keys(overrides or {}))
    models = table.get("models", {})
    if not isinstance(models, Mapping) or not models:
        raise ValueError("llm_ensemble.models must be a table of model name -> settings")
    specs = [{"name": name, **dict(spec)} for name, spec in models.items()]
    return EnsembleConfig.model_validate({**table, "models": specs})


def _lowercase_keys(raw: Mapping[str, Any]) -> dict[str, Any]:
    # Dynaconf upper-cases top-level keys of some loaders; field names are lower case.
    return {
        str(k).lower(): _lowercase_keys(v) if isinstance(v, Mapping) else v for k, v in raw.items()
    }
