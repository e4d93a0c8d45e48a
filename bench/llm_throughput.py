"""Briefs/s and tokens/s of the development model, batched against one at a time.

    python bench/llm_throughput.py [--concurrency 1 4 8 16] [--max-new-tokens 64]

Each level sends `concurrency` clients at once, each asking for one brief prompt (no
repair), through the BatchingGenerator: batched (max batch = concurrency) and one at a
time (max batch = 1). The ONNX Runtime backend is reported, not measured, when optimum
is not installed.
"""

import argparse
import asyncio
import json
import time
from pathlib import Path

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.llm import BackendNotInstalledError, ModelSpec, parse_ensemble_config
from fragrance_ai.llm.batching import BatchingGenerator
from fragrance_ai.llm.generation import Generation, TransformersGenerator
from fragrance_ai.llm.loading import check_loadable, load_model
from fragrance_ai.llm.prompt import Messages, brief_messages
from fragrance_ai.llm.sources import locate_model

DATA = Path(__file__).parents[1] / "tests" / "data" / "llm_eval_briefs.jsonl"


async def _run(
    generator: TransformersGenerator, prompts: list[Messages], batch: int
) -> tuple[float, int, list[int]]:
    batcher = BatchingGenerator(generator, window_s=0.02, max_batch_size=batch, timeout_s=3600)
    started = time.perf_counter()
    replies: list[Generation] = await asyncio.gather(*(batcher.generate(p) for p in prompts))
    seconds = time.perf_counter() - started
    await batcher.aclose()
    return seconds, sum(r.tokens for r in replies), list(batcher.batch_sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="development")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()

    overrides = {"models": {"smollm2": {"max_new_tokens": args.max_new_tokens}}}
    config = parse_ensemble_config(load_llm_config(load_settings(args.env)), overrides)
    spec = config.enabled_models[0]
    generator = TransformersGenerator(load_model(spec, locate_model(spec)))
    generator.warm_up()
    materials = [m.id for m in load_catalog()]
    texts = [json.loads(line)["text"] for line in DATA.read_text().splitlines() if line.strip()]

    print(f"model {spec.name}, max_new_tokens {spec.max_new_tokens}, backend transformers")
    print(f"{'conc':>4} {'mode':>14} {'briefs/s':>9} {'tokens/s':>9} {'seconds':>8} batches")
    for level in args.concurrency:
        prompts = [brief_messages(t, materials, DESCRIPTOR_FAMILY.keys()) for t in texts[:level]]
        for mode, batch in (("one-at-a-time", 1), ("batched", level)):
            seconds, tokens, sizes = asyncio.run(_run(generator, prompts, batch))
            print(
                f"{level:>4} {mode:>14} {level / seconds:>9.3f} {tokens / seconds:>9.1f} "
                f"{seconds:>8.1f} {sizes}"
            )
    try:
        check_loadable(ModelSpec.model_validate({**spec.model_dump(), "backend": "onnx"}))
    except BackendNotInstalledError as error:
        print(f"onnx backend: not measured: {error}")


if __name__ == "__main__":
    main()
