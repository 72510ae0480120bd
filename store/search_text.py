"""The words of a query and the snippets of a result: French stop words, folding as the
FTS5 tokenizer does, highlighting the words found.

Split from store/search.py: plain text handling, knowing neither SQLite nor the store.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WORDS = 8

#: Words too common in French to help (and costly to intersect): dropped from queries.
_STOP = ("a au aux avec c ce ces d dans de des du en et est il l la le les leur lui m ma mes "
         "n ne nos notre on ou par pas pour qu que qui s sa se ses son sur t ta te tes un "
         "une vos votre y")
STOP_WORDS = frozenset(_STOP.split(" "))
_WORD = re.compile(r"\w+", re.UNICODE)

SNIPPET_WORDS = 24


def snippet(summary: str, content: str, forms: list[str]) -> list[tuple[str, bool]]:
    """(text, highlighted) parts: the text (content, else summary) around the first word
    found, at most SNIPPET_WORDS words, words found marked; the start of the summary when
    no word is found there (the name matched)."""
    wanted = [(form.strip('"*').strip('"'), form.endswith("*")) for form in forms]
    best: tuple[int, str, list[tuple[int, int, bool]]] | None = None
    for text in (content, summary):
        if not text:
            continue
        tokens = [(m.start(), m.end(), _hit(_fold(m.group()), wanted))
                  for m in _WORD.finditer(text)]
        found = sum(1 for *_, hit in tokens if hit)
        if found and (best is None or found > best[0]):
            best = (found, text, tokens)
    if best is None:
        text = summary or content
        if len(text) > 200:
            text = text[:200].rsplit(" ", 1)[0] + " …"
        return [(text, False)] if text else []
    _, text, tokens = best
    first = next(i for i, (*_, hit) in enumerate(tokens) if hit)
    start = max(0, first - SNIPPET_WORDS // 3)
    end = min(len(tokens), start + SNIPPET_WORDS)
    parts: list[tuple[str, bool]] = []
    position = tokens[start][0] if start else 0
    if start:
        parts.append(("… ", False))
    for begin, finish, hit in tokens[start:end]:
        if begin > position:
            parts.append((text[position:begin], False))
        parts.append((text[begin:finish], hit))
        position = finish
    tail = text[position:] if end == len(tokens) else " …"
    if tail:
        parts.append((tail, False))
    merged: list[tuple[str, bool]] = []
    for piece, hit in parts:
        if merged and merged[-1][1] == hit:
            merged[-1] = (merged[-1][0] + piece, hit)
        else:
            merged.append((piece, hit))
    return merged


def _hit(folded: str, wanted: list[tuple[str, bool]]) -> bool:
    return any(folded == word or (prefix and folded.startswith(word))
               for word, prefix in wanted)


def _fold(word: str) -> str:
    """A word as the tokenizer stores it: lowercase, without diacritics."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_words(text: str) -> list[str]:
    """The words of a query that are worth matching (lowercase, no stop words)."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    kept = [w for w in words if w not in STOP_WORDS and w != "_"]
    return list(dict.fromkeys(kept))[:MAX_WORDS]

