"""The one objective every optimiser maximises (DESIGN.md invariant 1)."""

from fragrance_ai.objective.assemble import assemble_formula
from fragrance_ai.objective.scoring import BatchScores, ScoringProblem, score, score_shares

__all__ = ["BatchScores", "ScoringProblem", "assemble_formula", "score", "score_shares"]
