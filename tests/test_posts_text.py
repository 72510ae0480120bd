"""Markdown → sanitised HTML, mentions and theme hashtags (federation/text.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from federation import text

PEOPLE = {"alice": "http://x.test/persons/alice", "bob_b": "http://x.test/persons/bob_b"}
THEMES = {"culture": "culture", "economie": "economie", "waste": "dechets",
          "dechets": "dechets"}


class Elements(HTMLParser):
    """The elements and attributes a browser would build from some HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_harmless(html: str) -> None:
    for tag, attrs in Elements(html).found:
        assert tag in text.ALLOWED_TAGS, html
        assert set(attrs) <= {"href", "rel", "class"}, html
        href = (attrs.get("href") or "").strip().lower()
        if tag == "a" and href:
            assert href.startswith(("http://", "https://", "mailto:", "/")), html


def link(slug: str) -> str:
    return f"http://x.test/territories/97411?theme={slug}"


def render(source: str) -> text.Rendered:
    return text.render(source, PEOPLE, THEMES, link)


def test_markdown_allowed_set() -> None:
    html = render("**gras** *it*\n\n- un\n- deux\n\n1. a\n\n> cité\n\n`code`\n\n"
                  "```\nbloc\n```\n\n[lien](https://example.org)").html
    for tag in ("<strong>gras</strong>", "<em>it</em>", "<ul>", "<li>un</li>", "<ol>",
                "<blockquote>", "<code>code</code>", "<pre><code>bloc\n</code></pre>"):
        assert tag in html, tag
    assert '<a href="https://example.org" rel="nofollow ugc">lien</a>' in html


def test_headings_images_and_rules_are_reduced_to_text() -> None:
    html = render("# Titre\n\n![photo](https://example.org/x.png)\n\n---").html
    assert "<h1" not in html and "<img" not in html and "<hr" not in html
    assert "Titre" in html


ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "[x]: javascript:alert(1)\n\n[y][x]",
    '[x](https://ok.test "title" onclick="alert(1)")',
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.test></iframe>",
    '<a href="https://ok.test" onmouseover="alert(1)">x</a>',
    "<style>body{display:none}</style>",
    "[x](<javascript:alert(1)>)",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_neutralised(attack: str) -> None:
    assert_harmless(render(attack).html)


@pytest.mark.parametrize("attack", ATTACKS)
def test_stored_html_is_cleaned_again_for_display(attack: str) -> None:
    html = text.clean_html(attack)
    assert_harmless(html)
    assert "alert(1)</script>" not in html and "display:none" not in html


def test_mentions() -> None:
    rendered = render("Merci @alice et @Bob_b, pas @inconnu ni bob@example.org ni "
                      "@alice@autre.example, `@alice` [ici @alice](https://ok.test)")
    assert rendered.mentions == PEOPLE
    assert rendered.html.count('class="mention"') == 2
    assert f'<a href="{PEOPLE["alice"]}" class="mention" rel="nofollow ugc">@alice</a>' in \
        rendered.html
    assert "@inconnu" in rendered.html and "bob@example.org" in rendered.html
    assert "<code>@alice</code>" in rendered.html
    assert text.mention_candidates("@alice @Bob_b `@carol` mail@x.org") == {"alice", "bob_b"}


def test_theme_hashtags() -> None:
    rendered = render("#Culture et #économie, #Waste mais pas #inconnu ni "
                      "https://x.test/#culture ni `#culture`")
    assert rendered.themes == ["culture", "economie", "dechets"]
    assert f'<a href="{link("culture")}" class="hashtag" rel="nofollow ugc">#Culture</a>' in \
        rendered.html
    assert "#inconnu" in rendered.html
    assert text.hashtag_candidates("#Économie `#culture`") == {"economie"}


def test_bare_links_and_limits() -> None:
    html = render("voir https://example.org/page, puis").html
    assert '<a href="https://example.org/page" rel="nofollow ugc">https://example.org/page</a>,' \
        in html
    many = render(" ".join(["@alice"] * 50)).html
    assert many.count('class="mention"') == text.MAX_LINKS
    assert len(render("x" * (text.MAX_SOURCE + 100)).html) < text.MAX_SOURCE + 20


def test_plain_text_excerpt() -> None:
    assert text.plain_text("<p>Un <strong>deux</strong></p>\n<p>trois &amp; quatre</p>") == \
        "Un deux trois & quatre"
    assert text.plain_text("<p>" + "mot " * 100 + "</p>", 20).endswith("…")
