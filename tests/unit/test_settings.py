"""Settings: profiles, environment overrides and validation that names the bad key."""

import os
from pathlib import Path

import pytest

from fragrance_ai.config_loader import (
    ENV_SWITCHER,
    PLAIN_ENV_KEYS,
    SettingsError,
    get_api_config,
    get_checkpoint_dir,
    get_database_url,
    get_kafka_bootstrap_servers,
    get_kafka_url,
    get_tensorboard_dir,
    get_worker_config,
    load_llm_config,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [
        ENV_SWITCHER,
        *PLAIN_ENV_KEYS,
        *(n for n in os.environ if n.startswith("FRAGRANCE_")),
    ]:
        monkeypatch.delenv(name, raising=False)


def test_development_is_the_default_profile_and_uses_the_embedded_parts() -> None:
    settings = load_settings()
    assert settings.current_env.lower() == "development"
    assert get_kafka_bootstrap_servers(settings) is None
    assert get_database_url(settings) is None
    assert settings.kafka.producer.enable_idempotence is False


def test_command_topics_default_to_twelve_partitions() -> None:
    assert load_settings().kafka.partitions.command == 12


def test_app_env_switches_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "testing")
    assert load_settings().current_env.lower() == "testing"


def test_explicit_env_wins_over_app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging")
    assert load_settings("testing").current_env.lower() == "testing"


def test_production_asks_for_acks_all_and_idempotence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://fragrance@db/fragrance")
    settings = load_settings("production")
    assert settings.kafka.producer.acks == "all"
    assert settings.kafka.producer.enable_idempotence is True
    assert settings.log.format == "json"
    # The profile overrides one key of a section; the others still come from [default].
    assert settings.api.port == 8000
    assert get_kafka_url(settings) == "kafka-1:9092,kafka-2:9092"
    assert get_database_url(settings) == "postgresql://fragrance@db/fragrance"


def test_production_without_a_broker_fails_naming_the_keys() -> None:
    with pytest.raises(SettingsError, match=r"kafka\.bootstrap_servers.*database\.url"):
        load_settings("production")


def test_unknown_profile_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "prod")
    with pytest.raises(SettingsError, match="APP_ENV='prod'"):
        load_settings()


def test_plain_environment_names_override_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_WORKERS", "6")
    monkeypatch.setenv("LLM_WORKER_CONCURRENCY", "3")
    monkeypatch.setenv("USE_CACHE", "false")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("CHECKPOINT_DIR", "/var/lib/fragrance/checkpoints")
    settings = load_settings("testing")
    assert get_api_config(settings)["workers"] == 6
    assert get_worker_config("llm", settings)["concurrency"] == 3
    assert settings.cache.enabled is False
    assert settings.log.format == "json"
    assert settings.paths.checkpoint_dir == "/var/lib/fragrance/checkpoints"


def test_nested_keys_through_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_KAFKA__PRODUCER__ACKS", "-1")
    monkeypatch.setenv("FRAGRANCE_KAFKA__PARTITIONS__COMMAND", "24")
    settings = load_settings()
    assert settings.kafka.producer.acks == -1
    assert settings.kafka.partitions.command == 24
    assert settings.kafka.partitions.events == 12


def test_prefixed_variable_wins_over_the_plain_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_WORKERS", "2")
    monkeypatch.setenv("FRAGRANCE_API__WORKERS", "5")
    assert load_settings().api.workers == 5


def test_unrelated_environment_variables_do_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_TOOL_PORT", "1")
    settings = load_settings()
    assert "SOME_TOOL_PORT" not in settings
    assert "PATH" not in settings
    assert "HOME" not in settings


def test_bad_value_fails_naming_the_key_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_WORKERS", "0")
    with pytest.raises(SettingsError, match=r"api\.workers .*API_WORKERS"):
        load_settings()


def test_bad_nested_value_fails_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_API__PORT", "not-a-port")
    with pytest.raises(SettingsError, match=r"api\.port"):
        load_settings()


def test_bad_log_format_fails_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match=r"log\.format"):
        load_settings()


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert load_settings().log.level == "DEBUG"


def test_pool_bounds_are_checked_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_DATABASE__POOL_MIN", "30")
    with pytest.raises(SettingsError, match=r"database\.pool_min"):
        load_settings()


def test_worker_config_carries_concurrency_and_retry_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RL_WORKER_CONCURRENCY", "2")
    config = get_worker_config("rl")
    assert config["concurrency"] == 2
    assert config["max_attempts"] >= 1


def test_unknown_worker_role_is_rejected() -> None:
    with pytest.raises(SettingsError, match="'gpu'"):
        get_worker_config("gpu")  # type: ignore[arg-type]


def test_llm_config_is_a_plain_dict() -> None:
    assert isinstance(load_llm_config(load_settings()), dict)


def test_checkpoints_and_tensorboard_logs_default_to_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = load_settings()
    assert get_checkpoint_dir(settings) == tmp_path / "fragrance-ai" / "checkpoints"
    assert get_tensorboard_dir(settings) == tmp_path / "fragrance-ai" / "runs"
    monkeypatch.setenv("CHECKPOINT_DIR", "/srv/checkpoints")
    assert get_checkpoint_dir(load_settings()) == Path("/srv/checkpoints")


def test_libraries_log_from_warning_unless_deployed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings("development").log.library_level == "WARNING"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/fragrance")
    assert load_settings("production").log.library_level == "INFO"
