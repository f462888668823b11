"""Avatars drawn here: initials on one of eight colours, the same colour for
the same name on every page and every server, and nothing an outside
service or an inline style would be needed for."""

import re
import zlib

from commons import avatars


def test_initials_are_the_first_letters_of_the_first_two_words():
    assert avatars.initials("alice") == "A"
    assert avatars.initials("maria-jose") == "MJ"
    assert avatars.initials("Ada Lovelace Byron") == "AL"
    assert avatars.initials("émile_zola") == "ÉZ"
    assert avatars.initials("--") == "?" and avatars.initials("") == "?"


def test_a_name_always_gets_the_same_colour_and_names_spread_over_all_of_them():
    assert avatars.tone("alice") == avatars.tone("alice") == avatars.tone("Alice")
    # Fixed values: a CRC, not Python's hash(), which changes per process.
    assert [avatars.tone(name) for name in ("alice", "bob", "chiara")] == [
        zlib.crc32(name.encode()) % 8 for name in ("alice", "bob", "chiara")]
    tones = {avatars.tone(f"person-{n}") for n in range(200)}
    assert tones == set(range(avatars.TONES))


def test_the_macro_draws_a_sized_circle_with_classes_only(app):
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "_avatar.html" import avatar %}{{ avatar("maria-jose", 40) }}|'
            '{{ avatar(None) }}|{{ avatar("bo", 20, label="bo") }}')
        big, nobody, labelled = template.render().split("|")
    tone = avatars.tone("maria-jose")
    assert big == (f'<span class="avatar avatar-{tone} avatar-48px" data-initials="MJ"'
                   ' aria-hidden="true"></span>')
    assert 'data-initials="?"' in nobody and "avatar-24px" in nobody
    assert 'role="img" aria-label="bo"' in labelled and "aria-hidden" not in labelled
    assert not re.search(r"style=|<img|https?:", big + nobody + labelled)


def test_every_tone_and_size_the_macro_can_name_is_in_the_stylesheet(app):
    css = (app.root_path + "/static/style.css")
    with open(css) as sheet:
        rules = sheet.read()
    for tone in range(avatars.TONES):
        assert f".avatar-{tone} {{ background:" in rules
    for px in (16, 20, 24, 32, 48, 64):
        assert f".avatar-{px}px {{" in rules
