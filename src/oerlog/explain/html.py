"""Stories (:mod:`oerlog.explain.story`) as HTML: a fragment for a notebook or the workbench, or a whole page
(``oerlog why --format html``) without script or external resources.

The summary stands in a box at the top; the steps are a nested list whose sub-steps fold (``<details>``), the
decisive chain open; provisions are block quotes, notes smaller. Every value is escaped (:func:`html_text`).
"""

from __future__ import annotations

from oerlog.escape import html_text
from oerlog.explain.items import Item, Options
from oerlog.explain.layout import _brief, item_line
from oerlog.explain.story import Story

# no script, no network, no external resource: the page is text
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

PAGE_STYLE = """
body{font-family:Georgia,'Times New Roman',serif;max-width:54em;margin:2em auto;padding:0 1em;line-height:1.45;
color:#222}
h1{font-size:1.5em;border-bottom:2px solid #333;padding-bottom:.2em}
.override-notice{border:1px solid #c90;background:#fdf9ef;padding:.4em .8em;font-weight:bold}
"""

STYLE = """
.oerlog-explanation .regulation{color:#555;font-style:italic}
.summary{border:1px solid #bbb;border-left:5px solid #2a6;background:#f6faf7;padding:.6em 1em;margin:1em 0}
.summary.fails{border-left-color:#b33;background:#fbf5f5}
.summary.open{border-left-color:#c90;background:#fdf9ef}
.summary p{margin:.2em 0}
.summary .answer{font-weight:bold;font-size:1.05em}
ul.steps,ul.steps ul{list-style:none;padding-left:1.3em;margin:.2em 0}
ul.steps>li{padding-left:0}
li .mark{display:inline-block;width:1.2em;margin-left:-1.2em}
li .cite{color:#555;font-size:.92em}
blockquote{margin:.3em 0 .5em 0;padding:.1em .8em;border-left:3px solid #bbb;color:#333;font-size:.95em}
.note{color:#555;font-size:.9em;margin:.15em 0}
.detail{font-family:monospace;font-size:.8em;color:#666;margin:.1em 0}
details>summary{cursor:pointer}
@media print{details{display:block}details>summary{list-style:none}}
"""


def item_html(it: Item, lang: str, opts: Options, level: int) -> str:
    """One item and its sub-steps as HTML (the content of an ``<li>``): the sentence, quotes, notes, children."""
    mark = f'<span class="mark">{html_text(it.mark)}</span>' if it.mark else ""
    text = html_text(item_line(it, opts.detail, lang)[len(it.mark) + 1 :] if it.mark else item_line(it, False, lang))
    parts = [f"{mark}{text}"]
    for q, label in it.quotes:
        parts.append(f'<blockquote>“{html_text(q)}” <span class="cite">({html_text(label)})</span></blockquote>')
    for n in it.notes:
        parts.append(f'<p class="note">{html_text(n)}</p>')
    if opts.detail:
        parts += [f'<p class="detail">{html_text(d)}</p>' for d in it.detail]
    if it.children:
        inner = "".join(f"<li>{item_html(c, lang, opts, level + 1)}</li>" for c in it.children)
        if level >= 1 and any(c.children for c in it.children):
            count = len(it.children)
            label = f"{count} {'onderliggende stappen' if lang == 'nl' else 'steps below'}"
            opened = level < 2 or any(c.chain or c.decisive for c in it.children)  # the decisive chain stays open
            parts.append(
                f"<details{' open' if opened else ''}><summary>{html_text(label)}</summary><ul>{inner}</ul></details>"
            )
        else:
            parts.append(f"<ul>{inner}</ul>")
    if it.omitted:
        more = f"… {it.omitted} {'stap(pen) meer met --depth' if lang == 'nl' else 'more step(s), see --depth'}"
        parts.append(f'<p class="note">{html_text(more)}</p>')
    return "".join(parts)


def story_html(story: Story, lang: str, opts: Options, header: str = "") -> str:
    """One story: the summary box, the regulation (``header``) and the steps."""
    lines = story.summary.lines(lang, story.kind)
    css = {"holds": "summary", "does_not_hold": "summary fails", "undetermined": "summary open"}[story.summary.answer]
    box = f'<div class="{css}"><p class="answer">{html_text(lines[0])}</p>'
    box += "".join(f"<p>{html_text(x.strip())}</p>" for x in lines[1:]) + "</div>"
    if header:
        box += f'<p class="regulation">{html_text(header)}</p>'
    if opts.brief:
        body = "".join(f"<p>{html_text(x)}</p>" for x in _brief(story, lang, opts))
        return box + body
    tops = story.tops()
    steps = "".join(f"<li>{item_html(t, lang, opts, 0)}</li>" for t in tops)
    return f'{box}<ul class="steps">{steps}</ul>'


def html_fragment(title: str, goal: str, header: str, stories: list[Story], lang: str, opts: Options) -> str:
    """An HTML fragment: the title, then per story its summary, the regulation and the steps."""
    body = "\n".join(story_html(s, lang, opts, header) for s in stories)
    goal_html = f" <code>{html_text(goal)}</code>" if opts.detail else ""
    return f'<div class="oerlog-explanation">\n<h1>{html_text(title)}{goal_html}</h1>\n{body}\n</div>\n'


def html_page(
    title: str, goal: str, header: str, stories: list[Story], lang: str, opts: Options, notice: str = ""
) -> str:
    """A whole printable page with the fragment, its style inline and a Content-Security-Policy; ``notice`` (the
    parameters overridden for the run), if any, in a box above the fragment."""
    box = f'<p class="override-notice">{html_text(notice)}</p>\n' if notice else ""
    first = stories[0].summary.lines(lang, stories[0].kind)[0] if stories else title
    return f"""<!DOCTYPE html>
<html lang="{html_text(lang)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html_text(first)}</title>
<style>{PAGE_STYLE}{STYLE}</style></head><body>
{box}{html_fragment(title, goal, header, stories, lang, opts)}</body></html>
"""
