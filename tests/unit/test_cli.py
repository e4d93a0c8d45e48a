"""`fragrance-ai formulate` and `interpret`, run through main() as a user would run them."""

import json

import pytest

from fragrance_ai.cli import main
from fragrance_ai.llm import service
from fragrance_ai.llm.service import read_by_rules
from schemas import Formula
from tests.unit.test_llm_service import FixedReplies, _ensemble

BRIEF = "a fresh citrus summer scent for men, woody base, under $40/kg"


def test_formulate_json_prints_only_a_valid_formula(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["formulate", BRIEF, "--json"]) == 0
    out, err = capsys.readouterr()
    formula = Formula.model_validate_json(out)
    assert formula.ifra_compliant
    assert formula.cost_per_kg_concentrate <= 40.0
    assert err == ""


def test_formulate_prints_brief_pyramid_cost_ifra_and_score(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["formulate", BRIEF]) == 0
    out = capsys.readouterr().out
    formula_at = out.index("Formula (")
    assert out.index("Interpreted brief") < formula_at
    assert "citrus" in out[:formula_at] and "$40.00/kg" in out[:formula_at]
    assert "read from:" in out[:formula_at]
    body = out[formula_at:]
    assert body.index("TOP") < body.index("HEART") < body.index("BASE")
    assert "/kg concentrate" in body and "/kg finished product" in body
    assert "IFRA 51st Amendment, category 4: compliant, by substance" in body
    assert "fidelity" in body and "total" in body


@pytest.mark.parametrize(
    ("brief", "says"),
    [
        ("", "empty"),
        ("x" * 5000, "limit"),
        ("a citrus cologne with lots of hedione but no hedione", "hedione"),
        ("a rich amber oriental for winter, under $1/kg", "cheapest"),
        ("xyzzy plugh frobnicate", "names no family or note"),
        ("please write me a poem about the sea", "asks for a poem, not a scent"),
    ],
)
def test_a_brief_that_cannot_be_met_prints_one_line_and_exits_2(
    brief: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["formulate", brief]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("fragrance-ai: ")
    assert says in err
    assert "Traceback" not in err


def test_a_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "formulate" in capsys.readouterr().err


def test_interpret_names_the_source_and_words_of_each_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["interpret", "warm vanilla and amber eau de parfum for winter, no musk"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Understood by the rules reader"
    by_label = {line[2:21].strip(): line for line in lines[1:]}
    assert "winter" in by_label["season"] and "rule_based: 'winter'" in by_label["season"]
    assert "musk" in by_label["excluded families"] and "'no musk'" in by_label["excluded families"]
    assert "rule_based (nothing named)" in by_label["gender"]
    assert "rule_based (default)" in by_label["max materials"]


def test_interpret_json_gives_each_field_its_value_and_deciders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["interpret", "a citrus cologne for summer", "--json"]) == 0
    reading = json.loads(capsys.readouterr().out)
    assert reading["reader"] == "rules"
    assert reading["fields"]["season"] == {
        "value": "summer",
        "decided_by": ["rule_based"],
        "confidence": None,
        "words": ["summer"],
    }
    assert reading["brief"]["concentration"] == "edc"


def test_interpret_with_the_ensemble_says_which_model_decided(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = FixedReplies(json.dumps({"family_weights": {"citrus": 1}, "season": "spring"}))
    trusted = {"season": {"confirms": 2.0, "adds": 1.0, "omits": -1.0}}
    ensemble = _ensemble({"qwen": model}, None, {"qwen": trusted}, read_by_rules)
    monkeypatch.setattr(service, "load_ensemble", lambda config: ensemble)
    assert main(["interpret", "a citrus cologne for summer", "--reader", "ensemble"]) == 0
    season = next(line for line in capsys.readouterr().out.splitlines() if "season" in line)
    assert "spring" in season and "qwen (p 0.73)" in season


@pytest.mark.parametrize("reader", ["rules", "ensemble"])
@pytest.mark.parametrize(
    ("brief", "says"),
    [
        ("xyzzy plugh frobnicate", "names no family or note"),
        ("please write me a poem about the sea", "asks for a poem, not a scent"),
    ],
)
def test_interpret_refuses_what_is_not_a_brief_in_one_line(
    reader: str, brief: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["interpret", brief, "--reader", reader]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("fragrance-ai: ") and says in err
