"""The one place settings are read: Dynaconf over ``settings/*.toml`` and the environment.

Layers, lowest first: ``[default]``, the profile named by ``APP_ENV`` (``development``
when unset), ``settings/.secrets.toml``, then environment variables. Two kinds of variable
count, so that unrelated ones (PATH, HOME...) never leak into settings:

- ``FRAGRANCE_`` plus the key path joined by ``__``: ``FRAGRANCE_KAFKA__PRODUCER__ACKS=1``;
- the plain names the product has always documented, listed in ``PLAIN_ENV_KEYS``
  (``API_WORKERS=4``). A prefixed variable for the same key wins over a plain one.

Dynaconf also honours its own ``DYNACONF_`` prefix the same way; nothing else is read.
Values from the environment are parsed as TOML (``4`` is an int, ``true`` a bool).
Programs call ``load_settings()`` once at the edge and pass sections down as arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from dynaconf import Dynaconf, ValidationError, Validator
from dynaconf.utils.parse_conf import parse_conf_data

from settings import SETTINGS_DIR

KAFKA_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KAFKA_SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

APP_NAME = "fragrance-ai"
ENV_PREFIX = "FRAGRANCE"
ENV_SWITCHER = "APP_ENV"
DEFAULT_ENV = "development"
ENVIRONMENTS = ("development", "testing", "staging", "production")

PLAIN_ENV_KEYS: dict[str, str] = {
    "API_WORKERS": "api.workers",
    "RATE_LIMIT_ENABLED": "api.rate_limit_enabled",
    "USE_GPU": "compute.use_gpu",
    "ENABLE_QUANTIZATION": "compute.enable_quantization",
    "LOG_LEVEL": "log.level",
    "LOG_FORMAT": "log.format",
    "LLM_WORKER_CONCURRENCY": "workers.llm.concurrency",
    "RL_WORKER_CONCURRENCY": "workers.rl.concurrency",
    "USE_CACHE": "cache.enabled",
    "CACHE_TTL": "cache.ttl_s",
    "DATABASE_URL": "database.url",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka.bootstrap_servers",
    "HF_HOME": "paths.hf_home",
    "CHECKPOINT_DIR": "paths.checkpoint_dir",
    "TENSORBOARD_DIR": "paths.tensorboard_dir",
    "FRAGRANCE_API_URL": "client.api_url",
    "FRAGRANCE_API_KEY": "client.api_key",
}

WorkerRole = Literal["llm", "rl"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _ints(*keys: str, gte: int) -> list[Validator]:
    return [Validator(key, must_exist=True, is_type_of=int, gte=gte) for key in keys]


def _bools(*keys: str) -> list[Validator]:
    return [Validator(key, must_exist=True, is_type_of=bool) for key in keys]


def _strs(*keys: str) -> list[Validator]:
    return [Validator(key, must_exist=True, is_type_of=str) for key in keys]


VALIDATORS: list[Validator] = [
    *_strs("api.host", "kafka.bootstrap_servers", "kafka.client_id", "database.url"),
    *_strs("kafka.consumer.group_prefix", "paths.hf_home", "paths.checkpoint_dir"),
    *_strs("paths.tensorboard_dir", "client.api_url", "client.api_key"),
    Validator("api.port", must_exist=True, is_type_of=int, gte=1, lte=65535),
    *_ints("api.workers", "api.max_body_bytes", "database.pool_min", "database.pool_max", gte=1),
    *_ints("kafka.consumer.max_poll_interval_ms", "kafka.consumer.session_timeout_ms", gte=1),
    *_ints("kafka.consumer.heartbeat_interval_ms", "kafka.consumer.fetch_max_wait_ms", gte=1),
    *_ints("kafka.partitions.command", "kafka.partitions.events", gte=1),
    *_ints("kafka.partitions.dead_letter", "kafka.replication_factor", "jobs.max_attempts", gte=1),
    *_ints("kafka.partitions.logs", gte=1),
    *_ints("workers.llm.concurrency", "workers.rl.concurrency", gte=1),
    *_ints("sweeper.max_redrives", "outbox.batch_size", "outbox.max_attempts", gte=1),
    *_ints("kafka.producer.linger_ms", "cache.ttl_s", gte=0),
    *_ints("api.quotas.requests_per_window", "api.quotas.window_s", "api.quotas.jobs_in_flight",
           "api.quotas.event_streams", "api.quotas.training_timesteps",
           "api.quotas.training_envs", "api.quotas.retry_after_s",
           "training.max_runs_per_worker", gte=1),
    *[
        Validator(key, must_exist=True, is_type_of=(int, float), gte=0)
        for key in ("jobs.retry_backoff_s", "jobs.retry_backoff_max_s",
                    "sweeper.outbox_retention_s", "sweeper.events_retention_s",
                    "outbox.retry_backoff_s", "outbox.retry_backoff_max_s")
    ],
    Validator("kafka.consumer.graceful_timeout_s", must_exist=True, is_type_of=(int, float), gt=0),
    Validator("metrics.host", must_exist=True, is_type_of=str, len_min=1),
    Validator("metrics.llm_port", "metrics.rl_port", must_exist=True, is_type_of=int, gte=0,
              lte=65535),
    *[
        Validator(key, must_exist=True, is_type_of=(int, float), gt=0)
        for key in ("database.acquire_timeout_s", "metrics.refresh_s",
                    "training.lease_ttl_s", "training.sweep_s", "training.drain_s",
                    "shutdown.step_s", "shutdown.grace_s", "sweeper.every_s",
                    "sweeper.stalled_after_s")
    ],
    Validator("kafka.producer.acks", must_exist=True, is_in=["all", 0, 1, -1]),
    Validator("kafka.security.protocol", must_exist=True, is_in=KAFKA_PROTOCOLS),
    Validator("kafka.security.mechanism", must_exist=True, is_in=KAFKA_SASL_MECHANISMS),
    Validator(
        "kafka.security.username", "kafka.security.password",
        len_min=1,
        when=Validator("kafka.security.protocol", is_in=["SASL_PLAINTEXT", "SASL_SSL"]),
        messages={"operations": "{name} must be set for a SASL protocol"},
    ),
    *_bools("kafka.producer.enable_idempotence", "api.rate_limit_enabled", "cache.enabled"),
    *_bools("compute.use_gpu", "compute.enable_quantization", "database.migrate_on_start"),
    *_bools("log.ship"),
    Validator("log.level", must_exist=True, cast=lambda v: str(v).upper(), is_in=LOG_LEVELS),
    Validator("log.format", must_exist=True, is_in=["console", "json"]),
    Validator(
        "log.library_level", must_exist=True, cast=lambda v: str(v).upper(), is_in=LOG_LEVELS
    ),
    Validator("workers.llm.reader", must_exist=True, is_in=["ensemble", "rule_based"]),
    Validator(
        "formulation.ifra_safety_margin",
        must_exist=True, is_type_of=(int, float), gt=0, lte=1,
        messages={"operations": "{name} must be a fraction of each IFRA limit, in (0, 1]"},
    ),
]  # fmt: skip

# Only development and testing may start the embedded broker and database.
DEPLOYED_VALIDATORS: list[Validator] = [
    Validator(
        key,
        len_min=1,
        messages={"operations": "{name} must be set outside development and testing"},
    )
    for key in ("kafka.bootstrap_servers", "database.url")
]


class SettingsError(ValueError):
    """Settings failed validation; the message names every bad key."""


def load_settings(env: str | None = None) -> Dynaconf:
    """Read, layer and validate settings for ``env`` (default: ``$APP_ENV`` or development)."""
    env_name = (env or os.environ.get(ENV_SWITCHER) or DEFAULT_ENV).lower()
    if env_name not in ENVIRONMENTS:
        raise SettingsError(f"{ENV_SWITCHER}={env_name!r} is not one of {', '.join(ENVIRONMENTS)}")
    settings = Dynaconf(
        envvar_prefix=ENV_PREFIX,
        environments=True,
        env=env_name,
        env_switcher=ENV_SWITCHER,
        merge_enabled=True,
        settings_files=[
            str(SETTINGS_DIR / "settings.toml"),
            str(SETTINGS_DIR / "llm_ensemble.toml"),
            str(SETTINGS_DIR / ".secrets.toml"),
        ],
    )
    settings.setenv(env_name)
    _apply_plain_env_keys(settings)
    _validate(settings, env_name)
    return settings


def _apply_plain_env_keys(settings: Dynaconf) -> None:
    for name, key in PLAIN_ENV_KEYS.items():
        raw = os.environ.get(name)
        if raw is None or _prefixed_name(key) in os.environ:
            continue
        settings.set(key, parse_conf_data(raw, tomlfy=True, box_settings=settings))


def _prefixed_name(key: str) -> str:
    return f"{ENV_PREFIX}_{key.upper().replace('.', '__')}"


def _validate(settings: Dynaconf, env_name: str) -> None:
    settings.validators.register(*VALIDATORS)
    if env_name in ("staging", "production"):
        settings.validators.register(*DEPLOYED_VALIDATORS)
    try:
        settings.validators.validate_all()
    except ValidationError as exc:
        problems = [message for _, message in exc.details] or [str(exc)]
        raise SettingsError(
            f"invalid settings for {env_name!r}: " + "; ".join(_with_env_hint(p) for p in problems)
        ) from None
    pool = settings.database
    if pool.pool_min > pool.pool_max:
        raise SettingsError(
            f"database.pool_min ({pool.pool_min}) exceeds database.pool_max ({pool.pool_max})"
        )


def _with_env_hint(problem: str) -> str:
    """Point at the environment variable that set a bad key, when one did."""
    for name, key in PLAIN_ENV_KEYS.items():
        if not problem.startswith(key + " "):
            continue
        source = next((v for v in (_prefixed_name(key), name) if v in os.environ), None)
        return f"{problem} (from ${source})" if source else problem
    return problem


def _section(settings: Dynaconf | None, key: str) -> dict[str, Any]:
    loaded = settings if settings is not None else load_settings()
    return _plain(loaded.get(key, {}))


def _plain(value: Any) -> Any:
    """Deep copy of Dynaconf's nodes into built-in dicts and lists, safe to hand around."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def load_llm_config(settings: Dynaconf | None = None) -> dict[str, Any]:
    """The ``llm_ensemble`` section for the current profile; empty when no file defines it.

    ``compute`` switches over every model: with ``use_gpu`` false (``USE_GPU=false``)
    each is placed on the CPU whatever its ``device_map`` says, and with
    ``enable_quantization`` false (``ENABLE_QUANTIZATION=false``) each loads at full
    precision whatever its ``quantization`` says.
    """
    loaded = settings if settings is not None else load_settings()
    section = _section(loaded, "llm_ensemble")
    forced = {} if loaded.compute.use_gpu else {"device_map": "cpu"}
    if not loaded.compute.enable_quantization:
        forced["quantization"] = "none"
    for spec in section.get("models", {}).values():
        for key in [k for k in spec if k.lower() in forced]:
            del spec[key]
        spec.update(forced)
    return section


def get_api_config(settings: Dynaconf | None = None) -> dict[str, Any]:
    return _section(settings, "api")


def get_worker_config(role: WorkerRole, settings: Dynaconf | None = None) -> dict[str, Any]:
    """The worker section for ``role`` (``concurrency``...) plus the shared ``jobs`` policy."""
    if role not in ("llm", "rl"):
        raise SettingsError(f"unknown worker role {role!r}: expected 'llm' or 'rl'")
    loaded = settings if settings is not None else load_settings()
    return {**_section(loaded, "jobs"), **_section(loaded, f"workers.{role}")}


def get_kafka_bootstrap_servers(settings: Dynaconf | None = None) -> str | None:
    """Configured bootstrap servers, or None: start the embedded broker."""
    return _section(settings, "kafka")["bootstrap_servers"] or None


get_kafka_url = get_kafka_bootstrap_servers


def get_database_url(settings: Dynaconf | None = None) -> str | None:
    """Configured PostgreSQL URL, or None: start the embedded database."""
    return _section(settings, "database")["url"] or None


def user_data_dir() -> Path:
    """The user's data folder for this application (``~/.local/share/fragrance-ai`` on
    Linux): the development database, checkpoints and TensorBoard logs live under it."""
    return platformdirs.user_data_path(APP_NAME)


def get_checkpoint_dir(settings: Dynaconf | None = None) -> Path:
    """``paths.checkpoint_dir`` (``CHECKPOINT_DIR``), or ``checkpoints`` in the user's data folder."""
    configured = str(_section(settings, "paths")["checkpoint_dir"])
    return Path(configured) if configured else user_data_dir() / "checkpoints"


def get_tensorboard_dir(settings: Dynaconf | None = None) -> Path:
    """``paths.tensorboard_dir`` (``TENSORBOARD_DIR``), or ``runs`` in the user's data folder."""
    configured = str(_section(settings, "paths")["tensorboard_dir"])
    return Path(configured) if configured else user_data_dir() / "runs"
