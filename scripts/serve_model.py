"""Serve one model of the settings on an OpenAI-compatible server, on this machine's CPU.

    python scripts/serve_model.py DIR [--env development] [--model smollm2] [--port 8000]

Staging and production ask vLLM inference services for their models (backend "openai");
this stands in for one of them where there is no GPU, so the worker's served path can be
tried and tested here. The server is transformers' own (`transformers serve`, the
`serving` extra), loading the model the settings name (the packaged SmolLM2 by default).
It cannot read a GGUF whose metadata names no architecture, so the weights are first
written to DIR as safetensors with their config and tokenizer; an existing export is
reused. It has no guided decoding: it does not hold replies to the brief's schema, so set
the model's `constrained_decoding = false` against it and replies are validated after.

Prints the base URL and the served model name (DIR itself), then serves until stopped.
"""

import argparse
import os
import sys
from pathlib import Path

from safetensors.torch import save_model

from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.llm import parse_ensemble_config
from fragrance_ai.llm.loading import load_model
from fragrance_ai.llm.sources import locate_enabled

WEIGHTS = "model.safetensors"


def export(env: str, name: str, directory: Path) -> None:
    """The model's weights, config, generation config and tokenizer, as transformers
    reads a model directory."""
    config = parse_ensemble_config(load_llm_config(load_settings(env)))
    spec = next((m for m in config.models if m.name == name), None)
    if spec is None:
        names = ", ".join(m.name for m in config.models)
        raise SystemExit(f"no model {name!r} in the {env} settings; they name: {names}")
    spec = spec.model_copy(update={"enabled": True})
    located = locate_enabled([spec], config.hf_home, config.model_dirs)[spec.name]
    loaded = load_model(spec, located)
    directory.mkdir(parents=True, exist_ok=True)
    # A GGUF's config names no architecture; the server picks the model class from it.
    loaded.model.config.architectures = [type(loaded.model).__name__]
    loaded.model.config.save_pretrained(directory)
    loaded.model.generation_config.save_pretrained(directory)
    loaded.tokenizer.save_pretrained(directory)
    # save_model, not save_pretrained: the latter refuses a model read from a GGUF, and
    # save_model keeps tied weights (the embeddings and the output layer) once.
    save_model(loaded.model, str(directory / WEIGHTS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where the export is kept; the served name")
    parser.add_argument("--env", default="development")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    directory = args.directory.resolve()
    if not (directory / WEIGHTS).exists():
        export(args.env, args.model, directory)
    print(f"base_url http://{args.host}:{args.port}/v1 model {directory}", flush=True)
    server = Path(sys.executable).with_name("transformers")
    os.execv(
        server,
        [server.name, "serve", str(directory), "--host", args.host, "--port", str(args.port),
         "--device", "cpu", "--dtype", "auto"],
    )  # fmt: skip


if __name__ == "__main__":
    main()
