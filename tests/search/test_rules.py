"""Query cleaning and highlighting: what reaches a backend, and what is
marked."""

import pytest

from commons.search import rules


@pytest.mark.parametrize("raw", ["%", "_", '"', "'", "\\", "*", "-", "(", ")", "%_\\*-()\"'",
                                 "", "   ", None, "\x00"])
def test_signs_alone_leave_no_words(raw):
    assert rules.parse(raw).empty


def test_words_of_any_script_are_kept_whole():
    query = rules.parse('Dörrautomat "сушилка" 太阳能 सौर-ऊर्जा')
    assert query.terms == ("Dörrautomat", "сушилка", "太阳能", "सौर", "ऊर्जा")


def test_operators_are_words_not_syntax():
    query = rules.parse('dryer NEAR(solar) AND -frame OR "x*"')
    assert rules.fts5_match(query) == '"dryer" "NEAR" "solar" "AND" "frame" "OR" "x"'
    assert rules.tsquery(query) == "'dryer' & 'NEAR' & 'solar' & 'AND' & 'frame' & 'OR' & 'x'"


def test_a_long_query_is_cut():
    query = rules.parse("solar " * 400)
    assert len(query.text) <= rules.MAX_QUERY_CHARS
    assert len(query.terms) == rules.MAX_TERMS
    assert rules.parse("x" * 2000).terms == ("x" * rules.MAX_TERM_CHARS,)


def test_the_last_word_matches_longer_words_from_three_letters():
    assert rules.fts5_match(rules.parse("solar dry")) == '"solar" "dry"*'
    assert rules.tsquery(rules.parse("solar dry")) == "'solar' & 'dry':*"
    assert rules.fts5_match(rules.parse("solar dr")) == '"solar" "dr"'


def test_like_patterns_take_wildcards_literally():
    assert rules.escape_like("50%_a\\b") == "50\\%\\_a\\\\b"
    assert rules.username_patterns(rules.parse("Ada love")) == ["%ada%", "%love%"]


def marked(parts):
    return [part.text for part in parts if part.marked]


def test_highlight_marks_whole_words_case_and_accents_folded():
    query = rules.parse("dorrautomat SOLAR")
    parts = rules.highlight("Der Dörrautomat, solar betrieben (Solarenergie)", query)
    assert marked(parts) == ["Dörrautomat", "solar", "Solarenergie"]
    assert "".join(part.text for part in parts) == "Der Dörrautomat, solar betrieben (Solarenergie)"


def test_highlight_keeps_markup_as_text():
    parts = rules.highlight("<script>alert(1)</script> dryer", rules.parse("script"))
    assert marked(parts) == ["script", "script"]
    assert "".join(part.text for part in parts) == "<script>alert(1)</script> dryer"


def test_snippet_centres_on_the_first_match():
    text = "filler " * 100 + "the solar dryer " + "more " * 100
    parts = rules.snippet(text, rules.parse("solar"), width=80)
    shown = "".join(part.text for part in parts)
    assert shown.startswith("… ") and shown.endswith(" …")
    assert marked(parts) == ["solar"]
    assert len(shown) <= 80 + 4


def test_literal_highlight_ignores_case():
    parts = rules.literal_highlight("FOO = foo + Foo", "foo")
    assert marked(parts) == ["FOO", "foo", "Foo"]
    assert rules.literal_highlight("abc", "") == [rules.Part("abc")]
