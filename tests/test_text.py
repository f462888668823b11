import re

import pytest

from commons.text import TextError, clean_text


def test_text_is_normalised_and_trimmed():
    # "e" + combining acute becomes the single composed character.
    assert clean_text("  Cafe\u0301 ", label="Name", max_length=10) == "Caf\u00e9"


@pytest.mark.parametrize("value, fragment", [
    ("", "is required"),
    ("   ", "is required"),
    ("x" * 11, "keep it to 10"),
    ("bad\ufffdbytes", "not valid UTF-8"),
    ("ev\u202eil.txt", "U+202E"),
    ("null\x00byte", "U+0000"),
    ("line\nbreak", "U+000A"),
])
def test_bad_text_is_refused_with_a_reason(value, fragment):
    with pytest.raises(TextError, match=re.escape(fragment)):
        clean_text(value, label="Name", max_length=10)


def test_multiline_text_keeps_newlines_and_tabs():
    assert clean_text("a\r\n\tb", label="Description", max_length=10, multiline=True) == "a\n\tb"


def test_optional_text_may_be_empty():
    assert clean_text(None, label="Description", max_length=10, required=False) == ""
