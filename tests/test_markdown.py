import pytest

from commons.markdown import render_markdown


def test_markdown_is_rendered():
    html = render_markdown("# Title\n\nSome *text* and a [link](https://example.org).")
    assert "<h1>Title</h1>" in html and "<em>text</em>" in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener noreferrer"' in html


def test_scripts_handlers_and_javascript_links_are_removed():
    html = render_markdown(
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n'
        '[click](javascript:alert(3))\n\n<a href="javascript:alert(4)">x</a>'
        '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>'
    )
    assert "<script" not in html and "alert(1)" not in html
    assert "onerror" not in html
    assert 'href="javascript:' not in html and "<a href" not in html
    assert "<style" not in html and "<iframe" not in html


def test_headings_can_be_pushed_down_to_stay_in_order():
    html = render_markdown("# Top\n\n## Next\n\n###### Deep", heading_offset=2)
    assert "<h3>Top</h3>" in html and "<h4>Next</h4>" in html and "<h6>Deep</h6>" in html


def test_external_images_become_links_and_our_own_stay_images():
    html = render_markdown(
        "![a tracking pixel](https://tracker.example/p.gif)\n\n"
        "![also theirs](//tracker.example/q.gif)\n\n"
        "![our photo](docs/photo.png) ![raw](/projects/dryer/raw/main/a.png)")
    assert "tracker.example/p.gif" in html and "<img" in html
    assert 'src="https://tracker.example' not in html and 'src="//tracker.example' not in html
    assert '<a href="https://tracker.example/p.gif" rel="nofollow noopener noreferrer">' \
        'a tracking pixel</a>' in html
    assert '<a href="//tracker.example/q.gif"' in html and ">also theirs</a>" in html
    assert '<img src="docs/photo.png" alt="our photo">' in html
    assert '<img src="/projects/dryer/raw/main/a.png" alt="raw">' in html


@pytest.mark.parametrize("src", [
    "https://tracker.example/p.gif", "//tracker.example/p.gif", "\\\\tracker.example/p.gif",
    "/\\tracker.example/p.gif", "/&#9;/tracker.example/p.gif", "http:tracker.example/p.gif",
    " https://tracker.example/p.gif"])
def test_raw_html_images_from_elsewhere_lose_their_source(src):
    html = render_markdown(f'<p><img src="{src}" alt="pixel"></p>')
    assert "tracker.example" not in html and 'alt="pixel"' in html


def test_absolute_images_at_our_own_address_stay_images():
    html = render_markdown(
        "![ours](https://commons.example/projects/dryer/raw/main/a.png) "
        "![lookalike](https://commons.example.evil.example/a.png) "
        "![plain http](http://commons.example/a.png)\n\n"
        '<img src="https://commons.example/b.png" alt="raw ours">'
        '<img src="https://user@commons.example.evil.example/b.png" alt="raw theirs">',
        origin="https://commons.example")
    assert '<img src="https://commons.example/projects/dryer/raw/main/a.png" alt="ours">' in html
    assert '<img src="https://commons.example/b.png" alt="raw ours">' in html
    assert ">lookalike</a>" in html and ">plain http</a>" in html
    assert 'src="https://commons.example.evil' not in html and 'src="http:' not in html
    assert "evil.example/b.png" not in html
