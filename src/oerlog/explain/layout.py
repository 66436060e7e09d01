"""Stories (:mod:`oerlog.explain.story`) laid out as terminal text and as Markdown.

Text lines are at most :data:`WIDTH` columns (longer sentences and quotes wrap under their own indentation).
``--brief`` gives one screen: the summary, the regulation, the chain of steps from the facts to the conclusion,
the exceptions considered and the decisive provision.
"""

from __future__ import annotations

import textwrap

from oerlog.escape import md_quote, md_text
from oerlog.explain.items import Item, Options
from oerlog.explain.story import Story

WIDTH = 100
BRIEF_LINES = 24

_W = {
    "nl": {
        "steps": "Stappen",
        "exceptions": "Niet van toepassing",
        "more": "Volledige uitleg: zonder --brief; de regels en feiten zoals geschreven: --detail.",
        "others": "Andere regels",
        "depth": "nog {n} stap(pen); meer met --depth",
        "source": "bron",
        "between": "… en {n} tussenstap(pen) naar de conclusie",
        "exception_prefix": "◦ uitzondering niet van toepassing:",
    },
    "en": {
        "steps": "Steps",
        "exceptions": "Does not apply",
        "more": "The full explanation: without --brief; the rules and facts as written: --detail.",
        "others": "Other rules",
        "depth": "{n} more step(s); see --depth",
        "source": "source",
        "between": "… and {n} step(s) on to the conclusion",
        "exception_prefix": "◦ exception does not apply:",
    },
}


def wrap(text: str, indent: str = "", hang: str = "  ", width: int = WIDTH) -> list[str]:
    """``text`` in lines of at most ``width`` columns, the first indented by ``indent``, the others by ``indent +
    hang`` (a word longer than the line is not split)."""
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


def item_line(it: Item, detail: bool, lang: str) -> str:
    """An item's sentence with its provisions and source: ``✔ ... (art. A.8 lid 2)``."""
    text = f"{it.mark} {it.text}".rstrip() if it.mark else it.text
    extra = [x for x in (it.cite, it.source) if x]
    if extra:
        text += f" ({'; '.join(extra)})"
    if it.seen:
        text += f" ({'zie boven' if lang == 'nl' else 'see above'})"
    return text


def text_items(it: Item, lang: str, opts: Options, level: int = 0, quotes: bool = True) -> list[str]:
    """An item and its children as indented, wrapped text lines."""
    pad = "  " * level
    out = wrap(item_line(it, opts.detail, lang), pad, "  ")
    sub = pad + "  "
    if quotes:
        for q, label in it.quotes:
            out += wrap(f"“{q}” ({label})", sub, "  ")
    for n in it.notes:
        out += wrap(n, sub, "  ")
    if opts.detail:
        for d in it.detail:
            out += wrap(f"[{d}]", sub, "  ")
    for c in it.children:
        out += text_items(c, lang, opts, level + 1, quotes)
    if it.omitted:
        out += wrap("… " + _W[lang]["depth"].format(n=it.omitted), sub, "  ")
    return out


def story_text(story: Story, lang: str, opts: Options, header: str) -> list[str]:
    """One story as text lines: the summary, the regulation, then the steps (or, ``brief``, one screen)."""
    out: list[str] = []
    for line in story.summary.lines(lang, story.kind):
        hang = "    " if line.startswith("  ") else "  "
        out += wrap(line, "", hang)
    out += wrap(header, "", "  ")
    if opts.brief:
        out += _brief(story, lang, opts)
        if len(out) > BRIEF_LINES:  # one screen: the summary and the first steps, then where the rest is
            out = out[: BRIEF_LINES - 1] + [_W[lang]["more"]]
        return out
    out.append("")
    tops = story.tops()
    for top in tops:
        out += text_items(top, lang, opts)
    return out


def _brief(story: Story, lang: str, opts: Options) -> list[str]:
    """The rest of one screen: the steps that lead to the conclusion, the exceptions, the decisive provision."""
    w = _W[lang]
    out: list[str] = []
    root = story.item
    if story.summary.answer == "holds":
        chain = _chain_items(root)
        decisive = chain[-1]
        facts = _facts_of(decisive)
        key = [f for f in facts if any(v in f.text for v in story.summary.values_shown)] or facts
        steps = [item_line(f, False, lang) for f in key[:2]]
        if decisive is not root:
            steps.append(item_line(_plain(decisive), False, lang))
            between = chain[1:-1]
            if between:
                cites = "; ".join(dict.fromkeys(c.cite for c in between if c.cite))
                steps.append(w["between"].format(n=len(between)) + (f" ({cites})" if cites else ""))
        if steps:
            out.append(f"{w['steps']}:")
            for s in steps:
                out += wrap(s, "  ", "    ")
        exc = _exceptions(root)
        if exc:
            out.append(f"{w['exceptions']}:")
            for e in exc[:3]:
                out += wrap(item_line(_plain(e), False, lang).replace(w["exception_prefix"], "◦"), "  ", "    ")
        quote = _quote_for(root, decisive.cite.split("; ")[0]) if decisive.cite else None
        if quote is not None:
            out += wrap(f"“{quote[0]}” ({quote[1]})", "", "  ")
    elif story.summary.answer == "does_not_hold":
        others = [c for c in root.children[1:] if c.mark == "✘"]
        if others:
            out.append(f"{w['others']}:")
            for o in others[:4]:
                first = next((x.text for x in o.children if x.mark == "✘"), "")
                line = (o.cite or o.text) + (f": {first}" if first else "")
                out += wrap(line, "  ", "    ")
    else:
        for c in root.children[:6]:
            out += wrap(item_line(_plain(c), False, lang), "  ", "    ")
    out.append(w["more"])
    return out


def _plain(it: Item) -> Item:
    return Item(it.mark, it.text, cite=it.cite, source=it.source, seen=False)


def _chain_items(root: Item) -> list[Item]:
    """The conclusion and the steps down to the decisive rule (the summary's chain), in order."""
    chain = [root]
    node = root
    while not node.decisive:
        nxt = next((c for c in node.children if c.chain and not c.seen), None)
        if nxt is None:
            return chain
        chain.append(nxt)
        node = nxt
    return chain


def _quote_for(root: Item, label: str) -> tuple[str, str] | None:
    """The verbatim provision ``label``, wherever in the tree it is quoted (once, at its first citation)."""
    todo = [root]
    while todo:
        n = todo.pop(0)
        for q in n.quotes:
            if q[1] == label:
                return q
        todo.extend(n.children)
    return None


def _facts_of(it: Item) -> list[Item]:
    out: list[Item] = []
    todo = [it]
    while todo:
        n = todo.pop(0)
        out += [c for c in n.children if c.mark == "•" and c.source]
        todo += [c for c in n.children if c.mark == "✔"]
    seen: set[str] = set()
    return [f for f in out if not (f.text in seen or seen.add(f.text))]  # type: ignore[func-returns-value]


def _exceptions(root: Item) -> list[Item]:
    out: list[Item] = []
    seen: set[str] = set()
    todo = [root]
    while todo:
        n = todo.pop(0)
        for c in n.children:
            if c.mark == "◦" and c.cite + c.text not in seen:
                seen.add(c.cite + c.text)
                out.append(c)
            todo.append(c)
    return out


# --- markdown -------------------------------------------------------------------------------------------------


def md_items(it: Item, lang: str, opts: Options, level: int = 0) -> list[str]:
    """An item as a nested Markdown list entry; quotes as block quotes, notes as indented lines."""
    pad = "  " * level
    out = [f"{pad}- {md_text(item_line(it, opts.detail, lang))}"]
    for q, label in it.quotes:
        out.append(md_quote(f"{q} ({label})", pad + "  "))
    for n in it.notes:
        out.append(f"{pad}  {md_text(n)}  ")
    if opts.detail:
        out += [f"{pad}  `{d.replace('`', '')}`  " for d in it.detail]
    for c in it.children:
        out += md_items(c, lang, opts, level + 1)
    if it.omitted:
        out.append(f"{pad}  - {md_text('… ' + _W[lang]['depth'].format(n=it.omitted))}")
    return out


def story_markdown(story: Story, lang: str, opts: Options) -> list[str]:
    """One story as Markdown: the summary as a short list, then the steps."""
    lines = story.summary.lines(lang, story.kind)
    out = [f"**{md_text(lines[0])}**", ""]
    out += [f"- {md_text(x.strip())}" for x in lines[1:]]
    out.append("")
    if opts.brief:
        for line in _brief(story, lang, opts):
            out.append(md_text(line) + "  ")
        return out
    tops = story.tops()
    for top in tops:
        out += md_items(top, lang, opts)
    out.append("")
    return out
