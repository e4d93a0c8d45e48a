"""A brief's word and the catalog note it is a form of; none of these words is in the
labelled evaluation set's briefs in the form tested here."""

import pytest

from fragrance_ai.interpreter.text import bases


def same_word(a: str, b: str) -> bool:
    """`a` and `b` share a form, a word or one of its bases: "smoke" and "smoky"."""
    return bool({a, *bases(a)} & {b, *bases(b)})


@pytest.mark.parametrize(
    ("written", "note"),
    [
        ("earth", "earthy"),
        ("resin", "resinous"),
        ("honeyed", "honey"),
        ("spiciness", "spicy"),
        ("figgy", "fig"),
        ("metal", "metallic"),
        ("dried", "dry"),
        ("lemony", "lemon"),
        ("salted", "salty"),
        ("indole", "indolic"),
        ("grass", "grassy"),
        ("greenish", "green"),
        ("dryness", "dry"),
    ],
)
def test_a_word_meets_the_note_it_is_a_form_of(written: str, note: str) -> None:
    assert same_word(written, note) and same_word(note, written)


@pytest.mark.parametrize(
    ("written", "note"),
    [
        ("honed", "honey"),  # the y of honey is no suffix
        ("season", "sea"),
        ("teased", "tea"),
        ("basic", "basil"),
        ("hazy", "hay"),
        ("grasse", "grassy"),  # a double letter that is the word's own takes no e
        ("dry", "dr"),
    ],
)
def test_unrelated_words_stay_apart(written: str, note: str) -> None:
    assert not same_word(written, note)


def test_a_base_shorter_than_three_letters_is_no_base() -> None:
    assert bases("dry") == ()
    assert bases("icy") == ()
