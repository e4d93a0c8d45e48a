"""The formula environment under the name the product's documents promise; it lives in
`fragrance_ai.training.environment`."""

from fragrance_ai.training.environment import BatchedFragranceEnv, FragranceEnvironment

__all__ = ["BatchedFragranceEnv", "FragranceEnvironment"]
