"""The one objective every optimiser maximises (DESIGN.md invariant 1)."""

from fragrance_ai.objective.assemble import assemble_formula
from fragrance_ai.objective.batch import BatchScores, ScoringProblem
from fragrance_ai.objective.scalar import score, score_shares

__all__ = ["BatchScores", "ScoringProblem", "assemble_formula", "score", "score_shares"]
