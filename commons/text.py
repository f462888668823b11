"""Rules for text people type: one place decides what a name may contain."""

import unicodedata

# Bidirectional overrides and isolates can make text read differently from
# what it is (the "Trojan Source" trick); names have no use for them.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class TextError(ValueError):
    """The text cannot be accepted; ``str()`` says why and what to do."""


def clean_text(value: str | None, *, label: str, max_length: int,
               required: bool = True, multiline: bool = False) -> str:
    """Normalise *value* to NFC, trim it and check it; raise TextError."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if required and not text:
        raise TextError(f"{label} is required.")
    if len(text) > max_length:
        raise TextError(
            f"{label} is {len(text)} characters long; keep it to {max_length}."
        )
    if "\ufffd" in text:
        raise TextError(
            f"{label} contains bytes that are not valid UTF-8; "
            "send it as UTF-8 text."
        )
    for char in text:
        if char in _BIDI_CONTROLS:
            raise TextError(
                f"{label} contains a bidirectional control character "
                f"(U+{ord(char):04X}); remove it."
            )
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") and not (
            multiline and char in "\n\t"
        ):
            raise TextError(
                f"{label} contains a control or unassigned character "
                f"(U+{ord(char):04X}); remove it."
            )
    return text
