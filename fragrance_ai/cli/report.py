"""Plain-text rendering of an interpreted brief and a formula for the terminal."""

from schemas.brief import Brief, Interpretation
from schemas.formula import Formula
from schemas.material import Role

SCORE_PARTS = ("fidelity", "pyramid", "ifra", "cost", "count", "wanted", "excluded")


def render_brief(interpretation: Interpretation) -> str:
    """The Brief field by field, then the words that drove each field, then any notes."""
    lines = ["Interpreted brief"]
    lines += [
        f"  {label:<20} {value}" for label, value in _brief_fields(interpretation.brief) if value
    ]
    evidence = [
        f"{field}: " + ", ".join(f"'{words}'" for words in phrases)
        for field, phrases in interpretation.evidence.items()
        if phrases
    ]
    if evidence:
        lines += ["  read from:", *(f"    {line}" for line in evidence)]
    if interpretation.notes:
        lines += ["  notes:", *(f"    - {note}" for note in interpretation.notes)]
    return "\n".join(lines)


def _brief_fields(brief: Brief) -> list[tuple[str, str]]:
    profile = sorted(brief.target_profile().items(), key=lambda kv: (-kv[1], kv[0].value))
    budget = f"${brief.budget_per_kg:.2f}/kg of concentrate" if brief.budget_per_kg else ""
    return [
        ("families", ", ".join(f"{f.value} {100 * w:.0f}%" for f, w in profile)),
        ("wanted notes", ", ".join(brief.wanted_notes)),
        ("wanted materials", ", ".join(brief.wanted_materials)),
        ("excluded materials", ", ".join(brief.excluded_materials)),
        ("excluded families", ", ".join(f.value for f in brief.excluded_families)),
        ("excluded notes", ", ".join(brief.excluded_notes)),
        ("product", brief.product.value.replace("_", " ")),
        ("concentration", brief.concentration.value),
        ("style", brief.style.value if brief.style else ""),
        ("season", brief.season.value if brief.season else ""),
        ("gender", brief.gender.value if brief.gender else ""),
        ("budget", budget),
        ("max materials", str(brief.max_materials)),
    ]


def render_formula(formula: Formula) -> str:
    """The formula grouped top/heart/base, its cost, IFRA status and score parts."""
    product = formula.product.value.replace("_", " ")
    kind = f"{product}, {formula.concentration.value}" if product == "fine fragrance" else product
    lines = [f"Formula ({kind}, {formula.dilution_percent:g}% concentrate in the product)"]
    width = max(len(line.name) for line in formula.lines)
    for role in Role:
        group = [line for line in formula.lines if line.role is role]
        if not group:
            continue
        lines.append(f"  {role.value.upper():<6} {getattr(formula.pyramid, role.value):6.2f}%")
        lines += [
            f"    {line.name:<{width}}  {line.family.value:<10} {line.percent:7.2f}%"
            for line in group
        ]
    lines += [
        "",
        f"Cost: ${formula.cost_per_kg_concentrate:.2f}/kg concentrate, "
        f"${formula.cost_per_kg_finished:.2f}/kg finished product",
        *_ifra_lines(formula),
        *_dose_lines(formula),
        "",
        "Score: " + "  ".join(f"{p} {getattr(formula.score, p):.3f}" for p in SCORE_PARTS),
        f"       total {formula.score.total:.4f}",
    ]
    return "\n".join(lines)


def _ifra_lines(formula: Formula) -> list[str]:
    status = "compliant" if formula.ifra_compliant else "NOT COMPLIANT"
    lines = [f"IFRA 51st Amendment, category {formula.ifra_category}: {status}, by substance"]
    if not formula.ifra:
        lines.append("  no restricted substance in the formula")
    for check in formula.ifra:
        verdict = "ok" if check.compliant else "OVER LIMIT"
        limit = (
            "not restricted here"
            if check.limit_percent is None
            else f"limit {check.limit_percent:g}%"
        )
        sources = ", ".join(check.contributors)
        lines.append(
            f"  {check.name:<28} {check.finished_percent:8.4f}% of product, {limit:<14} {verdict}"
            f"  (from {sources})"
        )
    lines += [f"  condition: {c}" for c in formula.ifra_conditions]
    labelled = [a for a in formula.allergens if a.label_required]
    if labelled:
        lines.append(
            "EU allergens to label: "
            + ", ".join(f"{a.name} {a.finished_percent:.4f}%" for a in labelled)
        )
    return lines


def _dose_lines(formula: Formula) -> list[str]:
    lines = [
        "Use levels: "
        + (
            "every material within its typical maximum"
            if formula.within_use_levels
            else "SOME MATERIAL ABOVE ITS TYPICAL MAXIMUM"
        )
    ]
    if formula.accords:
        lines.append("Accords: " + ", ".join(a.replace("_", " ") for a in formula.accords))
    for use in formula.named:
        if use.honoured:
            verdict = "effective dose"
        elif use.held_at_cap:
            verdict = f"at its IFRA or use-level cap, below its usual {use.effective_percent:g}%"
        elif use.materials:
            verdict = f"BELOW its effective dose of {use.effective_percent:g}%"
        else:
            verdict = "NOT USED"
        by = f" ({', '.join(use.materials)})" if use.materials else ""
        lines.append(f"  named {use.item}: {use.percent:.2f}%{by}, {verdict}")
        if use.shortfall is not None:
            stand_in = f"; closest in the formula: {use.replaced_by}" if use.replaced_by else ""
            lines.append(f"    why: {use.shortfall}{stand_in}")
    return lines


def render_batch(formula: Formula) -> str:
    """The batch sheet: grams of each material, and of the dilution it is weighed in."""
    sheet = formula.batch
    if sheet is None:
        return "No batch sheet for this formula."
    width = max(len(line.name) for line in sheet.lines)
    lines = [f"Batch sheet: {sheet.batch_grams:g} g of concentrate"]
    for line in sheet.lines:
        diluted = (
            f"weigh {line.weigh_grams:9.3f} g of a {line.dilution_percent:g}% dilution"
            if line.dilution_percent < 100
            else "weighed neat"
        )
        lines.append(f"  {line.name:<{width}}  {line.grams:9.3f} g   {diluted}")
    if sheet.solvent_grams:
        lines.append(f"  the dilutions bring {sheet.solvent_grams:.3f} g of solvent on top")
    return "\n".join(lines)


def render_certificate(formula: Formula) -> str:
    """Per IFRA category, the most of this concentrate a finished product may hold."""
    lines = ["IFRA certificate (51st Amendment): most % of this concentrate in a finished product"]
    for line in formula.certificate:
        limited = f"limited by {line.limited_by}" if line.limited_by else "no limit applies"
        lines.append(f"  category {line.category:<4} {line.max_percent:8.3f}%  {limited}")
    return "\n".join(lines)
