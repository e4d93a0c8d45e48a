"""The ensemble settings per environment, and overrides on top of them."""

from pathlib import Path

import pytest
import yaml
from dynaconf import Dynaconf

from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.llm import EnsembleConfig, parse_ensemble_config
from fragrance_ai.llm.config import Backend, Quantization, SourceType

ROOT = Path(__file__).parents[2]
SETTINGS_FILE = ROOT / "settings" / "llm_ensemble.toml"
COMPOSE_FILE = ROOT / "docker-compose.yml"


def _config_for(env: str) -> EnsembleConfig:
    # Layered exactly as the settings loader layers it (merge on), from this file alone.
    settings = Dynaconf(
        settings_files=[str(SETTINGS_FILE)], environments=True, env=env, merge_enabled=True
    )
    return parse_ensemble_config(settings.llm_ensemble)


def test_development_runs_only_the_packaged_smollm2_on_cpu() -> None:
    config = _config_for("development")
    (model,) = config.enabled_models
    assert model.name == "smollm2"
    assert model.source_type is SourceType.PACKAGE
    assert model.source.endswith(".gguf")
    assert (model.device_map, model.max_new_tokens, model.quantization) == ("cpu", 256, "none")


def test_production_runs_the_three_large_models_unquantised_with_1024_tokens() -> None:
    config = _config_for("production")
    assert {m.name: m.source for m in config.enabled_models} == {
        "qwen": "Qwen/Qwen2.5-7B-Instruct",
        "mistral": "mistralai/Mistral-7B-Instruct-v0.3",
        "llama": "meta-llama/Llama-3.1-8B-Instruct",
    }
    assert {m.max_new_tokens for m in config.enabled_models} == {1024}
    assert {m.quantization for m in config.enabled_models} == {Quantization.NONE}
    assert {m.source_type for m in config.enabled_models} == {SourceType.HF_CACHE}


def test_staging_runs_the_three_quantised_to_4_bit() -> None:
    config = _config_for("staging")
    assert [m.name for m in config.enabled_models] == ["qwen", "mistral", "llama"]
    assert {m.quantization for m in config.enabled_models} == {Quantization.FOUR_BIT}


@pytest.mark.parametrize("env", ["staging", "production"])
def test_staging_and_production_ask_each_model_of_its_inference_service(env: str) -> None:
    config = _config_for(env)
    assert {m.backend for m in config.enabled_models} == {Backend.OPENAI}
    assert {m.name: m.base_url for m in config.enabled_models} == {
        name: f"http://inference-{name}:8000/v1" for name in ("qwen", "mistral", "llama")
    }


def test_the_inference_services_serve_the_models_the_settings_name() -> None:
    # Each compose service is started with `--model <source>`: the served model name the
    # worker asks for is the source in the settings.
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for model in _config_for("production").enabled_models:
        service = services[f"inference-{model.name}"]
        command = service["command"]
        assert command[command.index("--model") + 1] == model.source
        assert service["profiles"] == ["inference"]


def test_environment_keys_inherit_defaults_and_override_them() -> None:
    development, production = _config_for("development"), _config_for("production")
    assert development.request_timeout_s == 600.0
    assert production.request_timeout_s == 60.0
    assert production.max_input_tokens == 512
    assert development.repair_attempts == production.repair_attempts == 1


def test_a_passed_in_override_changes_one_field_of_one_model() -> None:
    raw = load_llm_config(load_settings("development"))
    config = parse_ensemble_config(
        raw, overrides={"models": {"smollm2": {"max_new_tokens": 64}}, "max_batch_size": 4}
    )
    assert config.enabled_models[0].max_new_tokens == 64
    assert config.enabled_models[0].source.endswith(".gguf")
    assert config.max_batch_size == 4


def test_an_environment_variable_overrides_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_LLM_ENSEMBLE__MAX_INPUT_TOKENS", "64")
    config = parse_ensemble_config(load_llm_config(load_settings("development")))
    assert config.max_input_tokens == 64


def test_use_gpu_and_enable_quantization_switch_every_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://fragrance@postgres/fragrance")

    def models(env: str) -> set[tuple[str, str]]:
        config = parse_ensemble_config(load_llm_config(load_settings(env)))
        return {(m.device_map, m.quantization.value) for m in config.enabled_models}

    assert models("staging") == {("auto", "4bit")}
    assert models("production") == {("auto", "none")}
    monkeypatch.setenv("ENABLE_QUANTIZATION", "false")
    assert models("staging") == {("auto", "none")}
    monkeypatch.setenv("USE_GPU", "false")
    assert models("production") == {("cpu", "none")}
    monkeypatch.setenv("ENABLE_QUANTIZATION", "true")
    monkeypatch.setenv("FRAGRANCE_LLM_ENSEMBLE__MODELS__QWEN__QUANTIZATION", "8bit")
    monkeypatch.delenv("USE_GPU")
    assert ("auto", "8bit") in models("production")


def test_a_bad_value_names_the_field() -> None:
    raw = {"models": {"qwen": {"source_type": "hf_cache", "source": "x/y", "quantization": "3bit"}}}
    with pytest.raises(ValueError, match="quantization"):
        parse_ensemble_config(raw)


def test_no_models_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match=r"llm_ensemble\.models"):
        parse_ensemble_config({"max_batch_size": 4})
