"""Pydantic models of everything that crosses a boundary."""

from schemas.brief import Brief, Concentration, Gender, Season
from schemas.formula import Formula, FormulaLine, IfraCheck, Pyramid, ScoreParts
from schemas.material import Family, Material, Role

__all__ = [
    "Brief",
    "Concentration",
    "Family",
    "Formula",
    "FormulaLine",
    "Gender",
    "IfraCheck",
    "Material",
    "Pyramid",
    "Role",
    "ScoreParts",
    "Season",
]
