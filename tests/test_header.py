"""The site header: one menu that a phone opens without a script, the
current section marked, and the person's avatar beside their name."""

import re


def test_the_header_is_a_menu_that_opens_without_a_script(client):
    html = client.get("/projects").get_data(as_text=True)
    header = html.split('<header class="site">', 1)[1].split("</header>", 1)[0]
    assert re.search(r'<details class="site-menu">\s*<summary>.*Menu</summary>', header, re.S)
    assert '<nav class="site-nav" aria-label="Main">' in header
    assert '<a href="/projects" aria-current="page">Projects</a>' in header
    assert "<script" not in header and "style=" not in html


def test_inside_a_section_its_link_is_marked_not_claimed_as_the_page(browser):
    browser.register("alice")
    browser.create_project(slug="dryer")
    header = browser.client.get("/projects/dryer").get_data(as_text=True).split("</header>")[0]
    assert '<a href="/projects" class="active">Projects</a>' in header
    assert 'aria-current="page"' not in header
    # The person: an avatar (decorative) and their name, then log out.
    assert re.search(r'<a href="/users/alice"><span class="avatar avatar-\d avatar-24px" '
                     r'data-initials="A" aria-hidden="true"></span><span class="site-me">alice'
                     r'</span></a>', header)
    assert 'aria-label="Log out alice">Log out</button>' in header
