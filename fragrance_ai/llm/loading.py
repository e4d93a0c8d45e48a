"""Load a located model with transformers, once, with the options its spec asks for."""

import importlib.util
from dataclasses import dataclass
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

from fragrance_ai.llm.config import Backend, ModelSpec, Quantization
from fragrance_ai.llm.errors import QuantizationUnavailableError
from fragrance_ai.llm.onnx_backend import check_onnx_loadable, load_onnx
from fragrance_ai.llm.sources import LocatedModel


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to generate: weights in eval mode, tokenizer padding on the left."""

    spec: ModelSpec
    model: Any
    tokenizer: Any


def check_loadable(spec: ModelSpec) -> None:
    """Fail fast on options this machine cannot honour, before touching any weights."""
    if spec.backend is Backend.ONNX:
        if spec.quantization is not Quantization.NONE:
            raise QuantizationUnavailableError(
                f"model {spec.name!r}: backend 'onnx' loads full precision only; "
                "set quantization = 'none'"
            )
        check_onnx_loadable(spec)
        return
    if spec.quantization is Quantization.NONE:
        return
    if not torch.cuda.is_available() or spec.device_map == "cpu":
        raise QuantizationUnavailableError(
            f"model {spec.name!r} asks for {spec.quantization} loading, which bitsandbytes "
            "runs only on a CUDA GPU; this process has none (device_map="
            f"{spec.device_map!r}). Set quantization = 'none' or run on a GPU."
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise QuantizationUnavailableError(
            f"model {spec.name!r} asks for {spec.quantization} loading; install bitsandbytes"
        )


def load_model(spec: ModelSpec, located: LocatedModel, onnx_dir: str | None = None) -> LoadedModel:
    """Load tokenizer and weights from local files only; `onnx_dir` keeps ONNX exports."""
    check_loadable(spec)
    if spec.backend is Backend.ONNX:
        model, tokenizer = load_onnx(spec, located, onnx_dir)
    else:
        model, tokenizer = _load_transformers(spec, located)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(spec=spec, model=model, tokenizer=tokenizer)


def _load_transformers(spec: ModelSpec, located: LocatedModel) -> tuple[Any, Any]:
    common: dict[str, Any] = {"local_files_only": True}
    if located.gguf_file is not None:
        common["gguf_file"] = located.gguf_file
    tokenizer = AutoTokenizer.from_pretrained(located.directory, **common)
    model = AutoModelForCausalLM.from_pretrained(
        located.directory,
        dtype=_dtype(spec.dtype),
        device_map=spec.device_map,
        quantization_config=_quantization_config(spec.quantization),
        **common,
    )
    model.eval()
    return model, tokenizer


def _dtype(name: str) -> Any:
    if name == "auto":
        return "auto"
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"unknown dtype {name!r}: use 'auto', 'float32', 'bfloat16' or 'float16'")
    return dtype


def _quantization_config(quantization: Quantization) -> BitsAndBytesConfig | None:
    if quantization is Quantization.FOUR_BIT:
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16)
    if quantization is Quantization.EIGHT_BIT:
        return BitsAndBytesConfig(load_in_8bit=True)
    return None
