"""The opt-in Qwen2.5-Coder profiles (0.5B and 1.5B): declared, pinned, off by default,
checked on load."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from dynaconf import Dynaconf

from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.llm import ModelSpec, parse_ensemble_config
from fragrance_ai.llm.config import SourceType
from fragrance_ai.llm.errors import ModelNotFoundError
from fragrance_ai.llm.sources import file_sha256, locate_model

ROOT = Path(__file__).parents[2]
SETTINGS_FILE = ROOT / "settings" / "llm_ensemble.toml"
# Profile name: its requirements file, its wheel count and its Makefile variables' prefix.
PROFILES = {
    "qwen_coder_05b": ("model-qwen-coder-0.5b.txt", 6, "QWEN"),
    "qwen_coder_15b": ("model-qwen-coder-1.5b.txt", 22, "QWEN15"),
}


def _development() -> dict[str, ModelSpec]:
    settings = Dynaconf(
        settings_files=[str(SETTINGS_FILE)],
        environments=True,
        env="development",
        merge_enabled=True,
    )
    return {m.name: m for m in parse_ensemble_config(settings.llm_ensemble).models}


@pytest.mark.parametrize("name", PROFILES)
def test_the_profile_is_declared_off_and_pinned_to_the_file_the_makefile_joins(name: str) -> None:
    qwen = _development()[name]
    assert not qwen.enabled
    assert qwen.source_type is SourceType.PATH and qwen.source.endswith(".gguf")
    makefile = (ROOT / "Makefile").read_text()
    prefix = PROFILES[name][2]
    assert f"{prefix}_SHA256 := {qwen.sha256}" in makefile
    assert (
        f"{prefix}_GGUF ?= $(HOME)/.cache/fragrance-ai/models/{Path(qwen.source).name}" in makefile
    )


@pytest.mark.parametrize("name", PROFILES)
def test_the_profile_carries_its_calibrated_evidence_and_the_replies_it_came_from(
    name: str,
) -> None:
    qwen = _development()[name]
    labelled = ROOT / "tests" / "data" / "llm_eval_briefs.jsonl"
    briefs = len(labelled.read_text().splitlines())
    digest = hashlib.sha256(labelled.read_bytes()).hexdigest()
    assert qwen.calibrated_by and f"sha256 {digest[:11]}" in qwen.calibrated_by
    assert f"{briefs} briefs" in qwen.calibrated_by
    assert set(qwen.evidence) >= {"family_weights", "wanted_notes", "excluded_notes"}
    replies = ROOT / "tests" / "data" / f"llm_eval_replies_{name}.json"
    assert len(json.loads(replies.read_text())["replies"]) == briefs


@pytest.mark.parametrize("name", PROFILES)
def test_every_wheel_of_the_profile_is_pinned_by_version_and_sha256(name: str) -> None:
    requirements, wheels, _ = PROFILES[name]
    lines = [
        line
        for line in (ROOT / "requirements" / requirements).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) == wheels
    for line in lines:
        assert re.fullmatch(r"[a-z0-9-]+==[0-9.]+ --hash=sha256:[0-9a-f]{64}", line), line


@pytest.mark.parametrize("name", PROFILES)
def test_opting_in_swaps_smollm2_for_qwen(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"FRAGRANCE_LLM_ENSEMBLE__MODELS__{name.upper()}__ENABLED", "true")
    monkeypatch.setenv("FRAGRANCE_LLM_ENSEMBLE__MODELS__SMOLLM2__ENABLED", "false")
    config = parse_ensemble_config(load_llm_config(load_settings("development")))
    assert [m.name for m in config.enabled_models] == [name]


def test_a_gguf_whose_sha256_differs_is_refused(tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF not really")
    right = file_sha256(gguf)
    spec = ModelSpec(name="m", source_type="path", source=str(gguf), sha256=right)
    assert locate_model(spec).gguf_file == "model.gguf"
    wrong = spec.model_copy(update={"sha256": "0" * 64})
    with pytest.raises(ModelNotFoundError, match=f"sha256 {right}, expected 0000"):
        locate_model(wrong)


def test_a_malformed_pin_is_refused() -> None:
    with pytest.raises(ValueError, match="sha256"):
        ModelSpec(name="m", source_type="path", source="m.gguf", sha256="abc")


@pytest.mark.slow
@pytest.mark.parametrize("name", PROFILES)
def test_the_joined_gguf_loads_as_qwen2_and_generates(name: str) -> None:
    from fragrance_ai.llm.loading import load_model

    spec = _development()[name]
    if not Path(spec.source).expanduser().is_file():
        pytest.skip(f"{name}'s GGUF is not joined here (make model-qwen, make model-qwen-1.5b)")
    loaded = load_model(spec, locate_model(spec))
    assert loaded.model.config.model_type == "qwen2"
    prompt = loaded.tokenizer("A fresh citrus cologne", return_tensors="pt")
    output = loaded.model.generate(**prompt, max_new_tokens=4, do_sample=False)
    assert output.shape[1] > prompt["input_ids"].shape[1]
