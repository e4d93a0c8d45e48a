"""Why each model runs on one thread of its own: a decode step's kernels, before and after
a second thread has run torch on the CPU.

    python bench/model_thread.py [--rows 1 16] [--dtypes bfloat16 float32] [--steps 20]

The linear layers of one SmolLM2-135M decode step (30 layers, random weights) run on a
thread whose OpenMP team is the process's only one; then the main thread runs one
parallel torch op, which gives it a team too; then the same thread runs the same step
again. GNU OpenMP, which torch's CPU build uses, stops spinning its threads between
kernels once it manages more threads than there are cores, so on a small machine the
second column is slower. The LLM service keeps each model's loading, warm-up and batches on
one thread (fragrance_ai/llm/service.py) so the worker stays in the first column.
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F

# SmolLM2-135M: hidden 576, 9 query heads and 3 key/value heads of 64, MLP 1536, 30 layers.
LAYER_SHAPES = [
    (576, 576),
    (192, 576),
    (192, 576),
    (576, 576),
    (1536, 576),
    (1536, 576),
    (576, 1536),
]
LAYERS = 30
VOCAB = 49152


def step_weights(dtype: torch.dtype) -> list[torch.Tensor]:
    layers = [
        torch.randn(out, inp, dtype=dtype) for _ in range(LAYERS) for out, inp in LAYER_SHAPES
    ]
    return [*layers, torch.randn(VOCAB, 576, dtype=dtype)]


def ms_per_step(weights: list[torch.Tensor], rows: int, steps: int) -> float:
    inputs = {w.shape[1]: torch.randn(rows, w.shape[1], dtype=w.dtype) for w in weights}
    with torch.inference_mode():
        for _ in range(3):
            for w in weights:
                F.linear(inputs[w.shape[1]], w)
        started = time.perf_counter()
        for _ in range(steps):
            for w in weights:
                F.linear(inputs[w.shape[1]], w)
    return (time.perf_counter() - started) / steps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--dtypes", nargs="+", default=["bfloat16", "float32"])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()

    model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
    cases = [(getattr(torch, name), rows) for name in args.dtypes for rows in args.rows]
    weights = {dtype: model_thread.submit(step_weights, dtype).result() for dtype, _ in cases}
    alone = {
        case: model_thread.submit(ms_per_step, weights[case[0]], case[1], args.steps).result()
        for case in cases
    }
    torch.ones(4096, 4096).sum()  # the main thread's first parallel kernel: a second team
    shared = {
        case: model_thread.submit(ms_per_step, weights[case[0]], case[1], args.steps).result()
        for case in cases
    }

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("ms per decode step, linear layers only")
    print(f"{'dtype':>9} {'rows':>4} {'one team':>9} {'two teams':>10} {'slowdown':>9}")
    for dtype, rows in cases:
        one, two = alone[(dtype, rows)], shared[(dtype, rows)]
        name = str(dtype).removeprefix("torch.")
        print(f"{name:>9} {rows:>4} {one:>9.1f} {two:>10.1f} {two / one:>8.2f}x")


if __name__ == "__main__":
    main()
