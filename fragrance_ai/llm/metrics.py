"""Prometheus metrics of the LLM ensemble, registered once at import."""

from prometheus_client import Counter, Histogram

LLM_INFERENCE_DURATION = Histogram(
    "llm_inference_duration_seconds",
    "Wall time of one batched generate call, per model",
    ["model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160),
)
LLM_TOKENS_GENERATED = Counter("llm_tokens_generated", "New tokens generated, per model", ["model"])
LLM_BATCH_SIZE = Histogram(
    "llm_batch_size",
    "Requests served by one batched generate call",
    ["model"],
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
LLM_CACHE_HITS = Counter("llm_cache_hits", "Brief interpretations served from the cache")
LLM_CACHE_MISSES = Counter("llm_cache_misses", "Brief interpretations not found in the cache")
