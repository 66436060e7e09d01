"""An explanation as a document: the proofs (``why``) or the failure tree (``why not``) of one goal, with the
regulation it was judged under, rendered as terminal text, Markdown, JSON or an HTML fragment.

This is what ``oerlog why`` / ``oerlog whynot`` print (:meth:`Explanation.render` gives their exact output for
``--format text|md|json``) and what the Python API returns (``oerlog.api``); in a Jupyter notebook the object shows
itself through ``_repr_markdown_`` / ``_repr_html_``. Every value from the case or the KB is escaped for the format
it is put into (:mod:`oerlog.escape`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from oerlog.escape import md_text
from oerlog.evaluation.judge import Judgement
from oerlog.evaluation.overrides import overridden, overrides_json
from oerlog.explain.decisive import Derivations
from oerlog.explain.explainer import Node
from oerlog.explain.items import Options
from oerlog.explain.layout import story_markdown, story_text
from oerlog.explain.render import to_json
from oerlog.explain.story import Story, tell_all
from oerlog.explain.words import Phrasing
from oerlog.values import format_value

KINDS = ("why", "whynot")
FORMATS = ("text", "md", "json", "html")

_TITLES = {
    ("why", "nl"): "Waarom",
    ("why", "en"): "Why",
    ("whynot", "nl"): "Waarom niet",
    ("whynot", "en"): "Why not",
}

_SELECTION = {
    "nl": {
        "chosen": "gekozen met --doc",
        "case": "genoemd in de casus",
        "scope": "gekozen op grond van de inschrijving van de student (opleiding en studiejaar)",
    },
    "en": {
        "chosen": "chosen with --doc",
        "case": "named in the case",
        "scope": "chosen from the student's enrolment (programme and academic year)",
    },
}


def document_info(j: Judgement) -> dict[str, Any]:
    """The regulation a judgement was made under, as the JSON explanation's ``document`` object."""
    d = j.document
    return {
        "id": d.id,
        "title": d.title,
        "kind": d.meta.get("kind"),
        "academic_year": d.meta.get("academic_year"),
        "institution": d.meta.get("institution"),
        "version": d.version,
    }


def header(j: Judgement, lang: str, detail: bool = False) -> str:
    """One line: the regulation (title, academic year; its id under ``detail``), the reference date and how the
    regulation was chosen."""
    d = j.document
    year = d.meta.get("academic_year")
    ay = f"{year}-{year + 1}" if isinstance(year, int) else "?"
    ref = format_value(j.case.reference_date, lang) if j.case.reference_date else "-"
    how = _SELECTION[lang].get(j.selection, j.selection)
    ident = f"{d.id}, " if detail else ""
    if lang == "nl":
        return f"Regeling: {d.title} ({ident}studiejaar {ay}); peildatum {ref}; {how}"
    return f"Regulation: {d.title} ({ident}academic year {ay}); reference date {ref}; {how}"


def phrasing(j: Judgement, lang: str) -> Phrasing:
    """The words of a judgement's explanations: its vocabulary, the case's display names, its document."""
    return Phrasing(lang, j.kb.vocabulary, j.case.names, j.document)


@dataclass(frozen=True, eq=False)
class Explanation:
    """The explanation of one goal: a proof per matching fact (``why``) or one failure tree (``whynot``).

    ``str()`` is the terminal text; :meth:`text`, :meth:`markdown`, :meth:`json` and :meth:`html` give the other
    forms, :meth:`to_dict` the JSON data (schema ``oerlog.explanation/2``, docs/explanation-schema.md). Each
    opens with a summary (the answer, the decisive rule with its article, the values it turns on); ``options``
    chooses ``--detail`` (atoms, rule ids, file positions), ``--depth`` and ``--brief``."""

    kind: str  # why | whynot
    goal: str  # the goal as the user wrote it
    trees: tuple[Node, ...]
    judgement: Judgement
    lang: str = "nl"
    options: Options = field(default_factory=Options)
    derivations: Derivations | None = None  # how many ways a fact is derived (the explainer's), for the summary

    @property
    def title(self) -> str:
        """``Waarom`` / ``Why`` / ``Waarom niet`` / ``Why not``."""
        return _TITLES[(self.kind, self.lang)]

    def header(self) -> str:
        """The line naming the regulation, the reference date and how the regulation was chosen."""
        return header(self.judgement, self.lang, self.options.detail)

    @cached_property
    def stories(self) -> list[Story]:
        """The summary and the steps of each tree, in words."""
        ph = phrasing(self.judgement, self.lang)
        return tell_all(self.kind, self.trees, ph, self.options, self.derivations)

    def text(self) -> str:
        """Terminal text: per tree the summary (answer, decisive rule, values), the regulation, the steps."""
        parts = ["\n".join(story_text(s, self.lang, self.options, self.header())) + "\n" for s in self.stories]
        return "\n".join(parts)

    def markdown(self) -> str:
        """Markdown: a title, the regulation, then per tree the summary and the steps as a nested list with the
        provisions as block quotes."""
        out = f"# {md_text(self.title)}\n\n_{md_text(self.header())}_\n\n"
        return out + "".join("\n".join(story_markdown(s, self.lang, self.options)) + "\n" for s in self.stories)

    def json(self) -> str:
        """JSON text: one explanation document, or a list of them when several facts match the goal."""
        docs = [self._json(t, s) for t, s in zip(self.trees, self.stories, strict=True)]
        if len(docs) == 1:
            return docs[0] + "\n"
        return json.dumps([json.loads(d) for d in docs], indent=2, ensure_ascii=False) + "\n"

    def _json(self, tree: Node, story: Story) -> str:
        j = self.judgement
        return to_json(
            self.kind,
            self.goal,
            tree,
            self.lang,
            j.receipt(),
            document_info(j),
            story.summary.to_dict(j.kinds),
            j.kinds,
            overrides_json(overridden(j.document, j.overrides)),
        )

    def to_dict(self) -> dict[str, Any] | list[dict[str, Any]]:
        """The JSON data (a list when several facts match the goal)."""
        data: dict[str, Any] | list[dict[str, Any]] = json.loads(self.json())
        return data

    def render(self, fmt: str = "text") -> str:
        """The explanation in ``fmt`` (text, md, json, html): exactly what ``oerlog why|whynot --format FMT``
        prints (html: a whole page)."""
        if fmt == "json":
            return self.json()
        if fmt == "md":
            return self.markdown()
        if fmt == "html":
            return self.html_page()
        return self.text()

    def html(self) -> str:
        """An HTML fragment (for a notebook or a web page): the title, the regulation, each summary and its steps.
        Every value is escaped."""
        from oerlog.explain.html import html_fragment  # deferred: only the HTML forms need it

        return html_fragment(self.title, self.goal, self.header(), self.stories, self.lang, self.options)

    def html_page(self, notice: str = "") -> str:
        """A whole HTML page (``--format html``): no script, no external resource; ``notice`` (the parameters
        overridden for the run) stands above the title."""
        from oerlog.explain.html import html_page  # deferred: only the HTML forms need it

        return html_page(self.title, self.goal, self.header(), self.stories, self.lang, self.options, notice)

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        return self.html()
