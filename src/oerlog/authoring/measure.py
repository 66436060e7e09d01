"""Measuring an import against a hand-made ``articles.yaml``: provisions aligned by normalised text.

The hand-made files of the bundled documents use editorial keys in places (annexes, tables, protocols); a
mapping from those keys to the keys the importer gives (:class:`KeyMap`) is applied before numbers are compared.
Each hand-made provision is aligned with the imported provisions in document order by its normalised text
(Unicode NFC, whitespace collapsed); it counts as *exact* when its text and its (mapped) number both match.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

Key = tuple[str, str | None]


_MARKER = re.compile(r"^(?:[-•]\s+)?(?:\(?[a-z]{1,2}\)|[a-z]{1,2}\.|\d{1,2}(?:\.\d{1,2})*[.)])\s+")


def normalise(text: str) -> str:
    """The text compared: NFC, every run of whitespace one space, no leading or trailing space, without a
    leading item marker ("a.", "b)", "(c)", "2.", "4.1."): the marker is the provision's key, which some
    hand-made files also keep in the text; and without bullet marks ("-", "•" standing alone), which are layout
    (some hand-made files keep them in a lid's text, others drop them)."""
    words = [w for w in unicodedata.normalize("NFC", text).split() if w not in ("-", "•")]
    return _MARKER.sub("", " ".join(words))


@dataclass(frozen=True)
class KeyMap:
    """Editorial keys of a hand-made file and the keys the importer gives the same provision.

    ``articles`` maps an article key prefix to another (``"F.": "B2."``), or to the lids of one article when the
    target ends in a space (``"F.": "D1 "``: article F.3 is lid 3 of D1); ``provisions`` maps one provision
    (``"F.3"`` or ``"1.2 intro"``) to another (``"B2 3"``, article and lid separated by a space)."""

    articles: dict[str, str] = field(default_factory=dict)
    provisions: dict[str, str] = field(default_factory=dict)

    def apply(self, key: Key) -> Key:
        art, lid = key
        label = art if lid is None else f"{art} {lid}"
        if label in self.provisions:
            target = self.provisions[label].split(" ", 1)
            return (target[0], target[1] if len(target) > 1 else None)
        for old, new in sorted(self.articles.items(), key=lambda kv: -len(kv[0])):
            if art == old or (old.endswith(".") and art.startswith(old)):
                rest = art[len(old) :] if old.endswith(".") else ""
                if new.endswith(" "):  # "F.": "D1 " -- the articles F.n are the lids n of article D1
                    return (new.strip(), rest if lid is None else f"{rest}{lid}")
                return (new + rest, lid)
        return key


@dataclass(frozen=True)
class Difference:
    """One hand-made provision that the import does not give exactly, and the closest imported one."""

    expected: Key
    expected_text: str
    got: Key | None
    got_text: str | None
    kind: str  # number (text found under another key) | text (no imported provision with this text)


@dataclass
class Measure:
    total: int
    exact: int
    differences: list[Difference]

    @property
    def share(self) -> float:
        return self.exact / self.total if self.total else 1.0


def label(key: Key | None) -> str:
    if key is None:
        return "-"
    return f"art. {key[0]}" + (f" lid {key[1]}" if key[1] is not None else "")


def measure(expected: list[tuple[Key, str]], imported: list[tuple[Key, str]], keymap: KeyMap | None = None) -> Measure:
    """Align ``expected`` (hand-made) with ``imported`` by normalised text; count exact number-and-text matches."""
    keymap = keymap or KeyMap()
    exp = [(keymap.apply(k), normalise(t)) for k, t in expected]
    imp = [(k, normalise(t)) for k, t in imported]
    matcher = difflib.SequenceMatcher(None, [t for _, t in exp], [t for _, t in imp], autojunk=False)
    pair: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for n in range(block.size):
            pair[block.a + n] = block.b + n
    by_text: dict[str, list[int]] = {}
    for n, (_, t) in enumerate(imp):
        by_text.setdefault(t, []).append(n)
    exact = 0
    diffs: list[Difference] = []
    for i, (key, text) in enumerate(exp):
        j = pair.get(i)
        if j is None and by_text.get(text):  # the same text out of order
            j = next((c for c in by_text[text] if imp[c][0] == key), by_text[text][0])
        if j is not None and imp[j][1] == text:
            if imp[j][0] == key:
                exact += 1
            else:
                diffs.append(Difference(expected[i][0], text, imp[j][0], text, "number"))
            continue
        close = _closest(text, imp)
        diffs.append(
            Difference(
                expected[i][0],
                text,
                imp[close][0] if close is not None else None,
                imp[close][1] if close is not None else None,
                "text",
            )
        )
    return Measure(len(exp), exact, diffs)


def _closest(text: str, imp: list[tuple[Key, str]]) -> int | None:
    best, best_ratio = None, 0.0
    words = set(re.findall(r"\w+", text))
    for j, (_, t) in enumerate(imp):
        other = set(re.findall(r"\w+", t))
        if not words or not other:
            continue
        ratio = len(words & other) / len(words | other)
        if ratio > best_ratio:
            best, best_ratio = j, ratio
    return best
