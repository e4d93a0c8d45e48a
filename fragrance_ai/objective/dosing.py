"""How much of a material a formula may hold, and how much makes it count.

A material's typical maximum use in a concentrate caps it in every optimiser, as IFRA
limits do (the smaller of the two binds). A material or note the brief names counts as
used only at an effective dose: a material's usual dose, PerfumersWorld's "average"
use in material_facts.csv, the dose at which it usually plays its part; a note is met
when the materials carrying it add up to one effective dose between them,
sum_k p_k / d_k >= 1, so that rose is met by rose oil at its dose, or by phenylethyl
alcohol and rose oxide at half of theirs each.
"""

from collections.abc import Sequence

import numpy as np

from schemas.material import Material

FALLBACK_EFFECTIVE_PERCENT = 1.0
"""The effective dose of a material with no usual dose on record (an estimate: a
typical trace-to-modifier dose in a concentrate; every shipped material has a usual
dose, so this serves only catalogs without facts)."""


def use_caps(materials: Sequence[Material]) -> np.ndarray:
    """Most % of the concentrate per material by its typical maximum use; 100 where no
    maximum is on record."""
    return np.array([m.max_use_percent or 100.0 for m in materials], dtype=float)


def effective_percent(material: Material) -> float:
    """The % of the concentrate at which a named material counts as used."""
    if material.usual_percent is not None:
        return material.usual_percent[1]
    return min(FALLBACK_EFFECTIVE_PERCENT, material.max_use_percent or 100.0)
