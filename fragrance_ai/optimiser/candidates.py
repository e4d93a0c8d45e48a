"""Choose the candidate materials an optimiser works with for a brief.

The choice is deterministic: wanted materials first, then the materials that answer the
wanted notes and style (accords' largest members, a note's namesake natural), then one
material per wanted note still unanswered, then the best match for each pyramid role,
then the closest odour matches to the brief's target profile. Excluded materials never
enter. With a budget, a material dearer than the budget counts for less, so the set
keeps it reachable. Use levels cap most materials, so roomy materials come in until the
set can fill 100%.
"""

import difflib

import numpy as np

from fragrance_ai.catalog import Catalog
from fragrance_ai.interpreter.errors import ContradictoryBriefError, UnknownMaterialError
from fragrance_ai.objective.constants import ROLES
from fragrance_ai.objective.dosing import (
    accord_for,
    budget_per_kg,
    effective_percent,
    held_members,
    material_caps,
)
from fragrance_ai.objective.profile import odour_vector, pyramid_target, target_vector
from fragrance_ai.objective.scoring import is_excluded, satisfies
from fragrance_ai.optimiser.errors import NoCandidatesError
from fragrance_ai.optimiser.hard_limits import reachable_percent
from fragrance_ai.regulation import Regulation, load_regulation
from schemas.brief import Brief
from schemas.material import Material


def check_brief(brief: Brief, catalog: Catalog) -> None:
    """Raise a BriefError naming what in the brief the catalog cannot honour."""
    unknown = [i for i in (*brief.wanted_materials, *brief.excluded_materials) if i not in catalog]
    if unknown:
        ids = [m.id for m in catalog]
        raise UnknownMaterialError(
            unknown[0], difflib.get_close_matches(unknown[0], ids, n=3), len(ids)
        )
    ruled_out = [i for i in brief.wanted_materials if is_excluded(catalog.get(i), brief)]
    if ruled_out:
        raise ContradictoryBriefError(
            "the brief wants material(s) its own exclusions rule out "
            f"(by family or note): {', '.join(ruled_out)}"
        )
    if len(brief.wanted_materials) > brief.max_materials:
        raise ContradictoryBriefError(
            f"the brief wants {len(brief.wanted_materials)} materials "
            f"but allows at most {brief.max_materials}"
        )


def relevance(material: Material, brief: Brief) -> float:
    """Cosine of the material's odour vector with the brief's target, scaled down by
    s / c when c, what its usual dose costs per kg of concentrate, passes s, its fair
    share of the budget (the brief's or its default, dosing.budget_per_kg, over the
    brief's material count): cost always counts, by what a material costs where it is
    used, so a $3,000/kg absolute used at 0.2% stays a candidate and a $20,000/kg oil
    used at 0.5% gives way to a base that does the same for less."""
    vector = odour_vector(material)
    target = target_vector(brief.family_weights)
    match = float(vector @ target / (np.linalg.norm(vector) * np.linalg.norm(target)))
    fair_share = budget_per_kg(brief) / brief.max_materials
    dose_cost = material.cost_per_kg * effective_percent(material) / 100.0
    if dose_cost > fair_share:
        match *= fair_share / dose_cost
    return match


def select_candidates(
    brief: Brief,
    catalog: Catalog,
    size: int | None = None,
    regulation: Regulation | None = None,
) -> list[Material]:
    """The wanted materials and one material per wanted note (always, even beyond
    `size`), then the best match per pyramid role, then the best matches to the brief,
    up to `size` materials (default: brief.max_materials), in catalog order.

    A wanted note that no allowed material carries is left to the objective's
    `wanted` part. Raises UnknownMaterialError, ContradictoryBriefError (BriefErrors) or
    NoCandidatesError when the brief cannot be honoured by this catalog. A material
    holding a substance the brief's IFRA category prohibits never enters unless the
    brief wants it, where the bounds then refuse it by name."""
    check_brief(brief, catalog)
    size = brief.max_materials if size is None else size
    allowed = [m for m in catalog if not is_excluded(m, brief)]
    if not allowed:
        raise NoCandidatesError("the brief's exclusions rule out every material in the catalog")
    regulation = regulation or load_regulation()
    limits = regulation.compile(brief, allowed)
    caps = limits.percent_caps()
    # a material's cap on its own does not depend on the set it is in
    cap_of = dict(zip([m.id for m in allowed], material_caps(limits, allowed, brief), strict=True))
    unrestricted = {m.id for m, cap in zip(allowed, caps, strict=True) if cap >= 100.0}
    allowed = [
        m for m, cap in zip(allowed, caps, strict=True) if cap > 0 or m.id in brief.wanted_materials
    ]
    score = {m.id: relevance(m, brief) for m in allowed}
    ranked = sorted(allowed, key=lambda m: (-score[m.id], m.id))

    chosen: dict[str, Material] = {i: catalog.get(i) for i in brief.wanted_materials}
    by_id = {m.id: m for m in allowed}
    for member in held_members(brief, by_id):
        chosen[member] = by_id[member]

    for note in brief.wanted_notes:
        if accord_for(note) is not None:
            continue  # answered by its accord's members
        if not any(satisfies(m, note) for m in chosen.values()):
            carriers = [m for m in ranked if satisfies(m, note)]
            if carriers:
                chosen.setdefault(carriers[0].id, carriers[0])
    kept = set(chosen)
    for role in ROLES:
        if len(chosen) < size and not any(m.role is role for m in chosen.values()):
            players = [m for m in ranked if m.role is role]
            if players:
                chosen.setdefault(players[0].id, players[0])
    if brief.budget_per_kg is not None:
        _keep_budget_reachable(chosen, ranked, brief.budget_per_kg, unrestricted)
    for material in ranked:
        if len(chosen) >= size:
            break
        chosen.setdefault(material.id, material)
    _keep_fillable(chosen, kept, ranked, brief, regulation, cap_of, size)
    order = {m.id: i for i, m in enumerate(catalog)}
    return sorted(chosen.values(), key=lambda m: order[m.id])


def _keep_budget_reachable(
    chosen: dict[str, Material], ranked: list[Material], budget: float, unrestricted: set[str]
) -> None:
    """Make sure one unrestricted material within the budget is in the set, so that a
    mix leaning on it can come in under the budget."""

    def cheap_and_free(material: Material) -> bool:
        return material.cost_per_kg <= budget and material.id in unrestricted

    if any(cheap_and_free(m) for m in chosen.values()):
        return
    cheap = [m for m in ranked if cheap_and_free(m)]
    if cheap:
        chosen.setdefault(cheap[0].id, cheap[0])


ROOMY_PERCENT = 20.0
"""A material whose cap (use level, IFRA) allows at least this much can help fill."""


def _keep_fillable(
    chosen: dict[str, Material],
    kept: set[str],
    ranked: list[Material],
    brief: Brief,
    regulation: Regulation,
    cap_of: dict[str, float],
    size: int,
) -> None:
    """Use levels and IFRA limits cap most materials well below 100%: while the set
    cannot reach 100% within them, the most relevant roomy material comes in, in place
    of the optional member with the least room (wanted materials and the materials that
    answer wanted notes and the style stay). A filler is used in bulk, so one within the
    budget (the brief's or its default) comes first; among those, one playing the role the
    set has least room for against the brief's pyramid, so that a leather is filled with
    base notes rather than with whatever heart note is roomiest."""
    target = pyramid_target(brief)
    budget = budget_per_kg(brief)

    def caps(materials: list[Material]) -> np.ndarray:
        return np.array([cap_of[m.id] for m in materials])

    def reach() -> float:
        materials = list(chosen.values())
        return reachable_percent(regulation.compile(brief, materials), caps(materials))

    def neediest_first(roomy: list[Material]) -> list[Material]:
        room = {r: sum(cap_of[m.id] for m in chosen.values() if m.role is r) for r in ROLES}
        short = {r: target[r] - room[r] for r in ROLES}
        # stable: relevance decides within a role
        return sorted(roomy, key=lambda m: (m.cost_per_kg > budget, -short[m.role]))

    roomy = [m for m in ranked if m.id not in chosen and cap_of[m.id] >= ROOMY_PERCENT]
    while roomy and reach() < 100.0 - 1e-6:
        roomy = neediest_first(roomy)
        if len(chosen) < size:
            incoming = roomy.pop(0)
            chosen[incoming.id] = incoming
            continue
        optional = [m for m in chosen.values() if m.id not in kept]
        swap = _swap(chosen, optional, caps(optional), roomy)
        if swap is None:
            return
        leaving, incoming = swap
        roomy.remove(incoming)
        del chosen[leaving.id]
        chosen[incoming.id] = incoming


def _swap(
    chosen: dict[str, Material], optional: list[Material], room: np.ndarray, roomy: list[Material]
) -> tuple[Material, Material] | None:
    """The optional member with the least room and the most relevant roomy material to
    replace it; a role's only member gives way only to a material of the same role."""
    for k in np.argsort(room, kind="stable"):
        leaving = optional[k]
        sole = sum(m.role is leaving.role for m in chosen.values()) == 1
        incoming = next((m for m in roomy if not sole or m.role is leaving.role), None)
        if incoming is not None:
            return leaving, incoming
    return None
