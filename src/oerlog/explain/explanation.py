"""An explanation as a document: the proofs (``why``) or the failure tree (``why not``) of one goal, with the
regulation it was judged under, rendered as terminal text, Markdown, JSON or an HTML fragment.

This is what ``oerlog why`` / ``oerlog whynot`` print (:meth:`Explanation.render` gives their exact output for
``--format text|md|json``) and what the Python API returns (``oerlog.api``); in a Jupyter notebook the object shows
itself through ``_repr_markdown_`` / ``_repr_html_``. Every value from the case or the KB is escaped for the format
it is put into (:mod:`oerlog.escape`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from oerlog.escape import html_text, md_code, md_text
from oerlog.evaluation.judge import Judgement
from oerlog.explain.explainer import Node
from oerlog.explain.render import to_json, to_markdown, to_text
from oerlog.values import format_value

KINDS = ("why", "whynot")
FORMATS = ("text", "md", "json")

_TITLES = {
    ("why", "nl"): "Waarom",
    ("why", "en"): "Why",
    ("whynot", "nl"): "Waarom niet",
    ("whynot", "en"): "Why not",
}

_SELECTION = {
    "nl": {"chosen": "gekozen met --doc", "case": "genoemd in de casus", "scope": "afgeleid door kb/scope.dl"},
    "en": {"chosen": "chosen with --doc", "case": "named in the case", "scope": "derived by kb/scope.dl"},
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


def header(j: Judgement, lang: str) -> str:
    """One line: the regulation (title, id, academic year), the reference date and how the regulation was chosen."""
    d = j.document
    year = d.meta.get("academic_year")
    ay = f"{year}-{year + 1}" if isinstance(year, int) else "?"
    ref = format_value(j.case.reference_date, lang) if j.case.reference_date else "-"
    how = _SELECTION[lang].get(j.selection, j.selection)
    if lang == "nl":
        return f"Regeling: {d.title} ({d.id}, studiejaar {ay}); peildatum {ref}; regeling {how}"
    return f"Regulation: {d.title} ({d.id}, academic year {ay}); reference date {ref}; regulation {how}"


@dataclass(frozen=True, eq=False)
class Explanation:
    """The explanation of one goal: a proof per matching fact (``why``) or one failure tree (``whynot``).

    ``str()`` is the terminal text; :meth:`text`, :meth:`markdown`, :meth:`json` and :meth:`html` give the other
    forms, :meth:`to_dict` the JSON data (schema ``oerlog.explanation/1``, docs/explanation-schema.md)."""

    kind: str  # why | whynot
    goal: str  # the goal as the user wrote it
    trees: tuple[Node, ...]
    judgement: Judgement
    lang: str = "nl"

    @property
    def title(self) -> str:
        """``Waarom`` / ``Why`` / ``Waarom niet`` / ``Why not``."""
        return _TITLES[(self.kind, self.lang)]

    def header(self) -> str:
        """The line naming the regulation, the reference date and how the regulation was chosen."""
        return header(self.judgement, self.lang)

    def text(self) -> str:
        """Terminal text: the header, then each tree, indented, with the provisions quoted."""
        return self.header() + "\n\n" + "".join(to_text(t, self.lang) + "\n\n" for t in self.trees)

    def markdown(self) -> str:
        """Markdown: a title, the header, then each tree as a nested list with the provisions as block quotes."""
        out = f"# {self.title}: {md_code(self.goal)}\n\n_{md_text(self.header())}_\n\n"
        return out + "".join(to_markdown(t, self.lang) + "\n" for t in self.trees)

    def json(self) -> str:
        """JSON text: one explanation document, or a list of them when several facts match the goal."""
        docs = [self._json(t) for t in self.trees]
        if len(docs) == 1:
            return docs[0] + "\n"
        return json.dumps([json.loads(d) for d in docs], indent=2, ensure_ascii=False) + "\n"

    def _json(self, tree: Node) -> str:
        j = self.judgement
        return to_json(self.kind, self.goal, tree, self.lang, j.receipt(), document_info(j))

    def to_dict(self) -> dict[str, Any] | list[dict[str, Any]]:
        """The JSON data (a list when several facts match the goal)."""
        data: dict[str, Any] | list[dict[str, Any]] = json.loads(self.json())
        return data

    def render(self, fmt: str = "text") -> str:
        """The explanation in ``fmt`` (text, md, json): exactly what ``oerlog why|whynot --format FMT`` prints."""
        if fmt == "json":
            return self.json()
        if fmt == "md":
            return self.markdown()
        return self.text()

    def html(self) -> str:
        """An HTML fragment (for a notebook or a web page): the title, the header, and each tree as preformatted
        text. Every value is escaped."""
        trees = "".join(f"<pre>{html_text(to_text(t, self.lang))}</pre>\n" for t in self.trees)
        return (
            '<div class="oerlog-explanation">\n'
            f"<p><strong>{html_text(self.title)}:</strong> <code>{html_text(self.goal)}</code></p>\n"
            f"<p><em>{html_text(self.header())}</em></p>\n{trees}</div>\n"
        )

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        return self.html()
