"""Briefs/s and tokens/s of the LLM worker's ensemble, batched against one at a time.

    python bench/llm_throughput.py [--concurrency 1 4 8 16] [--repair-attempts 0] [--rounds 2]
    python bench/llm_throughput.py --dtype float32
    .venv-onnx/bin/python bench/llm_throughput.py --backends transformers onnx --dtype float32
    python bench/llm_throughput.py --decoders shared_prefix generate

At each level, `concurrency` labelled briefs are interpreted at once through
LLMEnsemble.interpret, the worker's own path: the shared prefix's cache, replies held to
the schema, one repair when a reply fails validation, the rule-based reading. Each level
runs with batching (max batch = concurrency) and one at a time (max batch = 1), and the
ratio is printed beside; `--repair-attempts 0` measures first replies alone, `--dtype
float32` the model in float32 (the development profile runs SmolLM2 in bfloat16). The two
modes alternate for `--rounds` rounds and each keeps its fastest, so a burst of load
from a neighbour on a shared machine weighs on neither mode alone. A second backend
runs the same levels on the same briefs, with its ratio to the first; onnx needs the
onnx environment (`make onnx-venv`) and runs in float32, so compare it with
`--dtype float32`. `--decoders shared_prefix generate` runs the transformers backend
twice, in our shared-prefix decoding loop and through `generate` with the prefix's
cache (what a model of an architecture the loop does not run gets), with its ratio.
"""

import argparse
import asyncio
import json
import time
from pathlib import Path

from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.llm import EnsembleConfig, parse_ensemble_config
from fragrance_ai.llm.decoding import GenerateDecoder, SharedPrefixDecoder
from fragrance_ai.llm.generation import TransformersGenerator
from fragrance_ai.llm.service import assemble_ensemble, load_generators

DATA = Path(__file__).parents[1] / "tests" / "data" / "llm_eval_briefs.jsonl"


async def _interpret(
    config: EnsembleConfig, generators: dict[str, TransformersGenerator], texts: list[str]
) -> tuple[float, int, int]:
    """Seconds, new tokens and generate calls for all texts sent at once."""
    ensemble = assemble_ensemble(config, generators)
    started = time.perf_counter()
    results = await asyncio.gather(*(ensemble.interpret(text) for text in texts))
    seconds = time.perf_counter() - started
    calls = sum(len(m.batcher.batch_sizes) for m in ensemble.members.values())
    await ensemble.aclose()
    tokens = sum(o.tokens_generated for r in results for o in r.outcomes)
    return seconds, tokens, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="development")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--max-new-tokens", type=int, default=None, help="default: settings")
    parser.add_argument("--dtype", default=None, help="default: settings")
    parser.add_argument("--backends", nargs="+", default=["transformers"])
    parser.add_argument("--repair-attempts", type=int, default=None, help="default: settings")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--decoders", nargs="+", default=["shared_prefix"], choices=["shared_prefix", "generate"]
    )
    args = parser.parse_args()

    raw = load_llm_config(load_settings(args.env))
    texts = [json.loads(line)["text"] for line in DATA.read_text().splitlines() if line.strip()]
    first: dict[tuple[int, str], float] = {}
    for backend in args.backends:
        model_overrides: dict[str, object] = {"backend": backend}
        if args.max_new_tokens is not None:
            model_overrides["max_new_tokens"] = args.max_new_tokens
        # ONNX Runtime runs float32 only; the transformers backend keeps the settings' dtype.
        dtype = args.dtype or ("float32" if backend == "onnx" else None)
        if dtype is not None:
            model_overrides["dtype"] = dtype
        names = parse_ensemble_config(raw).enabled_models
        overrides: dict[str, object] = {"models": {s.name: model_overrides for s in names}}
        if args.repair_attempts is not None:
            overrides["repair_attempts"] = args.repair_attempts
        config = parse_ensemble_config(raw, overrides)
        generators = load_generators(config)
        models = ", ".join(
            f"{s.name} ({s.dtype}, {s.max_new_tokens} new tokens)" for s in config.enabled_models
        )
        for decoder in args.decoders if backend == "transformers" else ["generate"]:
            if decoder == "generate":
                _decode_with_generate(generators)
            print(
                f"\nbackend {backend}, decoder {decoder}: {models}, "
                f"repair attempts {config.repair_attempts}"
            )
            _levels(args, config, generators, texts, first)


def _decode_with_generate(generators: dict[str, TransformersGenerator]) -> None:
    """Swap the shared-prefix loop for `generate` with the prefix's cache, attention back
    to transformers' own."""
    for generator in generators.values():
        if isinstance(generator.decoder, SharedPrefixDecoder):
            generator.model.set_attn_implementation("sdpa")
            generator.decoder = GenerateDecoder(generator.model, generator.decoder.prefix_ids)


def _levels(
    args: argparse.Namespace,
    config: EnsembleConfig,
    generators: dict[str, TransformersGenerator],
    texts: list[str],
    first: dict[tuple[int, str], float],
) -> None:
    """Each concurrency level one at a time and batched; ratios to one at a time and to
    the first leg run."""
    print(
        f"{'conc':>4} {'mode':>14} {'briefs/s':>9} {'tokens/s':>9} {'seconds':>8} "
        f"{'calls':>5} {'vs one':>7}" + (f" {'vs first':>16}" if first else "")
    )
    for level in args.concurrency:
        batch = texts[:level]
        fastest: dict[str, tuple[float, int, int]] = {}
        for _ in range(args.rounds):
            for mode, size in (("one-at-a-time", 1), ("batched", level)):
                sized = config.model_copy(update={"max_batch_size": size})
                run = asyncio.run(_interpret(sized, generators, batch))
                fastest[mode] = min(fastest.get(mode, run), run)
        rates: dict[str, float] = {}
        for mode, (seconds, tokens, calls) in fastest.items():
            rates[mode] = level / seconds
            versus = rates[mode] / rates["one-at-a-time"]
            line = (
                f"{level:>4} {mode:>14} {rates[mode]:>9.3f} {tokens / seconds:>9.1f} "
                f"{seconds:>8.1f} {calls:>5} {versus:>6.2f}x"
            )
            if (level, mode) in first:
                line += f" {rates[mode] / first[(level, mode)]:>15.2f}x"
            else:
                first[(level, mode)] = rates[mode]
            print(line, flush=True)


if __name__ == "__main__":
    main()
