"""The text of posts and comments: Markdown in, sanitised HTML out, with mentions, theme
hashtags and bare links turned into links. Pure functions: no store, no Flask.

How a post keeps its text (ActivityPub-compatible, as Mastodon, Pleroma and Lemmy do):
`as:content` holds the rendered, sanitised HTML, and `as:source` points to a node with
the Markdown the author typed (`as:content`) and its `as:mediaType` "text/markdown", so an
edit form shows what was typed and a remote server shows the HTML.

HTML is sanitised twice: when a post is written (`render`) and again every time any
`as:content` is shown (`clean_html`), because LDP clients and remote servers can write
HTML that never went through `render`.

Only a small set survives: p, br, strong, em, a[href] (http, https, mailto or relative;
always rel="nofollow ugc"), ul, ol, li, blockquote, code, pre. Raw HTML typed in the
Markdown is shown as text, never interpreted.
"""

from __future__ import annotations

import html as html_entities
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_CLASSES = {"a": {"mention", "hashtag"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc"
MAX_SOURCE = 5000
MAX_LINKS = 20  # mentions and hashtags turned into links, per text

# @handle, not inside an e-mail address (bob@example.org) nor a remote handle's middle.
MENTION = re.compile(
    r"(?<![\w@/.])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?)(?![\w@-]|\.[\w])"
)
# #word (letters with accents too), not a URL fragment nor an HTML entity.
HASHTAG = re.compile(r"(?<![\w#&/])#(\w[\w-]{0,62})")
BARE_URL = re.compile(r"\bhttps?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
_markdown.disable(["image", "html_block", "html_inline"])


@dataclass
class Rendered:
    """A rendered text and what it refers to."""

    html: str
    mentions: dict[str, str] = field(default_factory=dict)  # handle -> actor IRI
    themes: list[str] = field(default_factory=list)  # theme slugs, in order of appearance


def normalise_tag(word: str) -> str:
    """#Économie, #economie and #ÉCONOMIE are the same tag: lower case, no accents."""
    ascii_text = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def mention_candidates(source: str) -> set[str]:
    """The @handles of a Markdown text outside code and links, to be looked up."""
    found: set[str] = set()
    for text in _plain_texts(_markdown.parse(source[:MAX_SOURCE])):
        found |= {m.group(1).lower() for m in MENTION.finditer(text)}
    return found


def hashtag_candidates(source: str) -> set[str]:
    found: set[str] = set()
    for text in _plain_texts(_markdown.parse(source[:MAX_SOURCE])):
        found |= {normalise_tag(m.group(1)) for m in HASHTAG.finditer(text)}
    return found


def render(
    source: str,
    mentions: dict[str, str] | None = None,
    themes: dict[str, str] | None = None,
    theme_link: Callable[[str], str] | None = None,
) -> Rendered:
    """Markdown to sanitised HTML.

    `mentions` maps known handles (lower case) to actor IRIs: "@handle" becomes a link to
    the actor; unknown handles stay text. `themes` maps normalised hashtags (see
    `normalise_tag`: slugs and labels) to theme slugs: "#culture" becomes a link to
    `theme_link(slug)` and the slug is reported in `Rendered.themes`.
    """
    mentions = {k.lower(): v for k, v in (mentions or {}).items()}
    themes = themes or {}
    tokens = _markdown.parse(source[:MAX_SOURCE])
    result = Rendered("")
    budget = [MAX_LINKS]
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        block.children = _linkify(block.children, mentions, themes, theme_link, result, budget)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    result.html = clean_html(html).strip()
    return result


def clean_html(html: str) -> str:
    """Any HTML reduced to the allowed set (for display of every as:content)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )


def plain_text(html: str, limit: int = 200) -> str:
    """A one-line excerpt of some HTML, for notifications and e-mails (no markup)."""
    text = nh3.clean(html, tags=set(), clean_content_tags={"script", "style"})
    text = re.sub(r"\s+", " ", html_entities.unescape(text)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plain_texts(tokens: list[Token]) -> list[str]:
    """The text tokens that are not inside a link (code spans are their own tokens)."""
    texts = []
    for block in tokens:
        depth = 0
        for child in block.children or []:
            if child.type == "link_open":
                depth += 1
            elif child.type == "link_close":
                depth -= 1
            elif child.type == "text" and depth == 0:
                texts.append(child.content)
    return texts


_PIECE = re.compile(f"{MENTION.pattern}|{HASHTAG.pattern}|{BARE_URL.pattern}")


def _linkify(
    children: list[Token],
    mentions: dict[str, str],
    themes: dict[str, str],
    theme_link: Callable[[str], str] | None,
    result: Rendered,
    budget: list[int],
) -> list[Token]:
    out: list[Token] = []
    depth = 0
    for child in children:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        if child.type != "text" or depth > 0:
            out.append(child)
            continue
        out += _split_text(child.content, mentions, themes, theme_link, result, budget)
    return out


def _split_text(
    text: str,
    mentions: dict[str, str],
    themes: dict[str, str],
    theme_link: Callable[[str], str] | None,
    result: Rendered,
    budget: list[int],
) -> list[Token]:
    pieces: list[Token] = []
    position = 0
    for match in _PIECE.finditer(text):
        handle, tag = match.group(1), match.group(2)
        shown = match.group(0)
        href: str | None = None
        css = ""
        if handle is not None and handle.lower() in mentions and budget[0] > 0:
            href, css = mentions[handle.lower()], "mention"
            result.mentions.setdefault(handle.lower(), href)
        elif tag is not None and normalise_tag(tag) in themes and budget[0] > 0:
            slug = themes[normalise_tag(tag)]
            href = theme_link(slug) if theme_link else None
            css = "hashtag"
            if slug not in result.themes:
                result.themes.append(slug)
        elif handle is None and tag is None:
            shown = _without_trailing_punctuation(shown)
            href = shown
        if href is None and css != "hashtag":
            continue
        if css:
            budget[0] -= 1
        if match.start() > position:
            pieces.append(_text(text[position : match.start()]))
        if href is None:  # a theme without a filter page: the tag stays text
            pieces.append(_text(shown))
        else:
            pieces += _link(href, shown, css)
        position = match.start() + len(shown)
    if position < len(text):
        pieces.append(_text(text[position:]))
    return pieces


def _without_trailing_punctuation(url: str) -> str:
    """"https://x.org/page." ends a sentence; "https://x.org/a_(b)" keeps its parenthesis."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link(href: str, shown: str, css: str) -> list[Token]:
    opening = Token("link_open", "a", 1)
    opening.attrs = {"href": href, **({"class": css} if css else {})}
    return [opening, _text(shown), Token("link_close", "a", -1)]
