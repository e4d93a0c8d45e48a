"""Rule-based brief interpreter: plain words to a Brief, with the words behind each field.

It is the baseline and the fallback of the LLM stage: regular expressions for
budgets and counts, a phrase lexicon for everything else, deterministic.
"""

from collections.abc import Mapping
from functools import lru_cache

from pydantic import ValidationError

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, Catalog, load_catalog
from fragrance_ai.interpreter.draft import (
    Draft,
    check_contradictions,
    choose_concentration,
    choose_gender,
    choose_season,
    choose_style,
    drop_excluded_moods,
    family_weights,
    read_matches,
)
from fragrance_ai.interpreter.errors import (
    MAX_BRIEF_CHARS,
    BriefError,
    BriefTooLongError,
    ContradictoryBriefError,
    EmptyBriefError,
)
from fragrance_ai.interpreter.limits import (
    BudgetReading,
    CountReading,
    find_budget,
    find_max_materials,
)
from fragrance_ai.interpreter.materials import check_named_materials, material_aliases
from fragrance_ai.interpreter.request import check_on_topic, find_product
from fragrance_ai.interpreter.terms import (
    Lexicon,
    build_lexicon,
    find_terms,
    mark_negation,
    mark_structure,
)
from fragrance_ai.interpreter.text import fold, mask, surface, tokenize
from schemas.brief import Brief, Interpretation, Product
from schemas.material import Family


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise BriefError(f"the brief must be text, not {type(text).__name__}")
    if not text.strip():
        raise EmptyBriefError()
    if len(text) > MAX_BRIEF_CHARS:
        raise BriefTooLongError(len(text))
    return text


def _budget(draft: Draft, readings: list[BudgetReading]) -> float | None:
    if not readings:
        return None
    chosen = min(readings, key=lambda r: r.usd_per_kg)
    draft.cite("budget_per_kg", chosen.evidence)
    draft.notes.extend(chosen.notes)
    if len(readings) > 1:
        draft.notes.append(f"several budgets named; using the lowest, '{chosen.evidence}'")
    return chosen.usd_per_kg


def _max_materials(draft: Draft, readings: list[CountReading]) -> int | None:
    if not readings:
        return None
    chosen = min(readings, key=lambda r: r.max_materials)
    draft.cite("max_materials", chosen.evidence)
    if len(readings) > 1:
        draft.notes.append(f"several material counts named; using the lowest, '{chosen.evidence}'")
    return chosen.max_materials


def _product(draft: Draft, folded: str, text: str) -> Product:
    reading = find_product(folded, text)
    if reading is None:
        return Product.FINE_FRAGRANCE
    draft.cite("product", reading.evidence)
    return reading.product


@lru_cache(maxsize=8)
def _lexicon(catalog: Catalog, descriptors: tuple[tuple[str, Family], ...]) -> Lexicon:
    """Built once per catalog and descriptor vocabulary: the same for every brief."""
    return build_lexicon(dict(descriptors), material_aliases(catalog))


def _read(text: str, catalog: Catalog) -> tuple[Draft, float | None, int | None, Product]:
    folded = fold(text)
    budgets = find_budget(folded, text)
    counts = find_max_materials(folded, text)
    masked = mask(folded, [r.span for r in budgets] + [r.span for r in counts])
    tokens = tokenize(masked)
    check_on_topic(tokens)
    matches = find_terms(tokens, _lexicon(catalog, tuple(DESCRIPTOR_FAMILY.items())))
    mark_structure(tokens, matches)
    unexplained = mark_negation(tokens, matches)
    check_named_materials(text, masked, tokens, matches, catalog)
    draft = read_matches(matches, text)
    for index, cue in unexplained:
        word = surface(text, tokens.words[index].start, tokens.words[index].end)
        draft.notes.append(
            f"'{cue} {word}': '{word}' is not a family, note or catalog material; nothing excluded"
        )
    return (
        draft,
        _budget(draft, budgets),
        _max_materials(draft, counts),
        _product(draft, folded, text),
    )


def interpret(text: str, catalog: Catalog | None = None) -> Interpretation:
    """Read a perfumer's brief. Raises a BriefError subclass whose message says what
    was wrong: empty or too long, off topic, contradictory, an unknown material, too
    vague (no scent words at all)."""
    text = _check_text(text)
    catalog = catalog if catalog is not None else load_catalog()
    draft, budget, max_materials, product = _read(text, catalog)
    check_contradictions(draft, catalog)
    drop_excluded_moods(draft)
    season, gender = choose_season(draft), choose_gender(draft)
    fields = {
        "family_weights": family_weights(draft, season, gender),
        "wanted_notes": tuple(draft.wanted_notes),
        "wanted_materials": tuple(draft.wanted_materials),
        "excluded_materials": tuple(draft.excluded_materials),
        "excluded_families": tuple(draft.excluded_families),
        "excluded_notes": tuple(draft.excluded_notes),
        "concentration": choose_concentration(draft),
        "product": product,
        "style": choose_style(draft),
        "season": season,
        "gender": gender,
        "budget_per_kg": budget,
    }
    if max_materials is not None:
        fields["max_materials"] = max_materials
    return Interpretation(brief=build_brief(fields), evidence=draft.evidence, notes=draft.notes)


def build_brief(fields: Mapping[str, object]) -> Brief:
    """Build the Brief; its own checks are a backstop, reported in the brief's terms."""
    try:
        return Brief.model_validate(fields)
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        if "both wants and excludes" in message:
            raise ContradictoryBriefError(message) from None
        raise BriefError(f"the brief cannot be used: {message}") from None
