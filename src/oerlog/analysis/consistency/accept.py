"""Accept files: reviewed findings, each listed by its stable id with the reason it was accepted.

Every document may keep one, ``kb/<doc>/accepted-findings.yaml``, applied by every ``oerlog check``; there each
entry also gives its verdict (:data:`VERDICTS`) and the article it concerns, one entry per finding (no bulk
accepts). ``oerlog check --accept FILE`` adds a file of the user's own (``{id, reason}``, verdict and article
optional)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from oerlog.analysis.consistency.findings import Report
from oerlog.errors import Location, ValidationError
from oerlog.kb import yamlpos
from oerlog.kb.loader import KnowledgeBase
from oerlog.kb.vocabulary import LANGS, text_in, texts_by_lang
from oerlog.outputs import write_text

ACCEPT_EXAMPLE = '- {id: div-1a2b3c4d5e, reason: "the two programmes differ on purpose"}'
KB_ACCEPT_EXAMPLE = (
    '- {id: fv-1a2b3c4d5e, verdict: regulation_issue, article: "4.2 lid 3", reason: "the R&A allows a resit the OER '
    'does not; reported to the board"}'
)
KB_ACCEPT_FILE = "accepted-findings.yaml"
VERDICTS = {
    "regulation_issue": "a real issue in the regulation, kept until the text changes",
    "institutional_difference": "a difference between institutions or programmes, made on purpose",
    "refinement_intended": "the R&A fills in what its OER leaves to it, as the OER allows",
    "text_leaves_open": "the text leaves the question open; the finding records it",
}
VERDICT_WORDS = {
    "nl": {
        "regulation_issue": "een echt probleem in de regeling",
        "institutional_difference": "een bewust verschil tussen instellingen of opleidingen",
        "refinement_intended": "de R&A vult in wat de OER daaraan overlaat",
        "text_leaves_open": "de tekst laat de vraag open",
    },
    "en": {
        "regulation_issue": "a real issue in the regulation",
        "institutional_difference": "a deliberate difference between institutions or programmes",
        "refinement_intended": "the R&A fills in what its OER leaves to it",
        "text_leaves_open": "the text leaves the question open",
    },
}


def verdict_words(verdict: str | None, lang: str) -> str | None:
    """A verdict in words for a reader in ``lang`` (None for none)."""
    if verdict is None:
        return None
    return VERDICT_WORDS["nl" if lang == "nl" else "en"].get(verdict, verdict)


@dataclass(frozen=True)
class Acceptance:
    """Why a finding was accepted, with its verdict and the article it concerns (required in the KB's files)."""

    reasons: dict[str, str]  # language -> text; a reason in one language only is keyed "" (as the reviewer wrote it)
    verdict: str | None = None
    article: str | None = None
    source: str | None = None  # file:line of the entry

    def reason(self, lang: str) -> str:
        """The reason in ``lang``; else as written (the reviewer's one language), else in the other language."""
        return text_in(self.reasons, lang)

    @property
    def missing_languages(self) -> list[str]:
        """The languages of :data:`LANGS` the reason is not given in (lint reports them for the KB's files)."""
        return [lg for lg in LANGS if not self.reasons.get(lg)]


def _no_reason(fid: str, loc: Location, value: str, example: str) -> ValidationError:
    return ValidationError(
        f"accepted finding {fid} gives no reason",
        loc,
        value=value,
        hint="say why the finding was reviewed and accepted",
        example=example,
        nl=f"geaccepteerde bevinding {fid} geeft geen toelichting",
        hint_nl="zeg waarom de bevinding is beoordeeld en geaccepteerd",
    )


def _unknown_verdict(verdict: str, loc: Location, example: str, fid: str | None = None) -> ValidationError:
    head_en, head_nl = (f"accepted finding {fid}: ", f"geaccepteerde bevinding {fid}: ") if fid else ("", "")
    return ValidationError(
        f"{head_en}unknown verdict {verdict!r}",
        loc,
        value=verdict,
        hint="verdicts: " + ", ".join(VERDICTS),
        example=example,
        nl=f"{head_nl}onbekend oordeel {verdict!r}",
        hint_nl="oordelen: " + ", ".join(VERDICTS),
    )


def load_accepted(path: Path, *, strict: bool = False) -> dict[str, Acceptance]:
    """Read an accept file: a YAML list of ``{id, reason}`` (``strict``: also ``verdict`` and ``article``)."""
    example = KB_ACCEPT_EXAMPLE if strict else ACCEPT_EXAMPLE
    data = yamlpos.load(path)
    if data is None:
        return {}
    if not isinstance(data, yamlpos.YList):
        raise ValidationError(
            "an accept file is a YAML list of {id, reason}",
            Location(str(path), 1, 1),
            example=example,
            nl="een bestand met geaccepteerde bevindingen is een YAML-lijst van {id, reason}",
        )
    out: dict[str, Acceptance] = {}
    for i, item in enumerate(data):
        loc = data.locs[i]
        if not isinstance(item, yamlpos.YDict) or "id" not in item:
            raise ValidationError(
                "each accepted finding needs an 'id'",
                loc,
                value=item,
                example=example,
                nl="elke geaccepteerde bevinding heeft een 'id' nodig",
            )
        fid = str(item["id"])
        reasons = texts_by_lang(
            item.get("reason"),
            item.locs.get("reason", loc),
            key="reason",
            key_nl="toelichting",
            example='reason: {nl: "de tekst laat dit open", en: "the text leaves this open"}',
            of=f"accepted finding {fid}: ",
            of_nl=f"geaccepteerde bevinding {fid}: ",
        )
        if not reasons:
            raise _no_reason(fid, loc, fid, example)
        verdict = str(item["verdict"]) if item.get("verdict") is not None else None
        article = str(item["article"]) if item.get("article") is not None else None
        if strict and (verdict is None or article is None):
            raise ValidationError(
                f"accepted finding {fid} needs a verdict and the article it concerns",
                loc,
                value=fid,
                hint="verdicts: " + ", ".join(VERDICTS),
                example=example,
                nl=f"geaccepteerde bevinding {fid} heeft een oordeel (verdict) en het betreffende artikel nodig",
                hint_nl="oordelen: " + ", ".join(VERDICTS),
            )
        if verdict is not None and verdict not in VERDICTS:
            raise _unknown_verdict(verdict, loc, example, fid)
        if fid in out:
            raise ValidationError(
                f"finding {fid} is accepted twice",
                loc,
                value=fid,
                example=example,
                nl=f"bevinding {fid} is twee keer geaccepteerd",
            )
        out[fid] = Acceptance(reasons, verdict, article, f"{loc.file}:{loc.line}")
    return out


def load_kb_accepted(kb: KnowledgeBase) -> dict[str, Acceptance]:
    """The accept files of every document of the KB (``kb/<doc>/accepted-findings.yaml``)."""
    out: dict[str, Acceptance] = {}
    for d in sorted(kb.documents):
        path = kb.documents[d].path / KB_ACCEPT_FILE
        if path.is_file():
            out.update(load_accepted(path, strict=True))
    return out


def apply_accepted(report: Report, accepted: dict[str, Acceptance], *, complete: bool = True, lang: str = "nl") -> None:
    """Mark accepted findings; list acceptances that match no finding any more. The KB's own files are compared
    only with a ``complete`` run (every document checked: a run over some documents explores only their seeds, so
    a finding found from another document's seeds is not stale); the user's own file always."""
    ids = {f.id for f in report.findings}
    for f in report.findings:
        a = accepted.get(f.id)
        f.accepted = a.reason(lang) if a else None
        f.verdict = a.verdict if a else None
    report.stale_acceptances = sorted(
        fid
        for fid, a in accepted.items()
        if fid not in ids and (complete or a.source is None or KB_ACCEPT_FILE not in a.source)
    )


def add_kb_acceptance(
    doc_path: Path, finding_id: str, verdict: str, article: str, reason: str, *, lang: str | None = None
) -> Path:
    """Record a reviewed finding in the document's accept file (``<doc>/accepted-findings.yaml``), appended after
    the entries already there (their text and comments kept as written), written whole or not at all; the reason
    as ``{lang: text}`` when its language is known. The entry is checked as :func:`load_accepted` reads it
    (``strict``); a finding already accepted is refused."""
    import yaml  # deferred: only a writer needs the emitter

    path = doc_path / KB_ACCEPT_FILE
    fid, article, reason = finding_id.strip(), article.strip(), " ".join(reason.split())
    loc = Location(str(path))
    if not re.fullmatch(r"[a-z]+-[0-9a-f]{10}", fid):
        raise ValidationError(
            f"not a finding id: {fid!r}",
            loc,
            value=fid,
            example=KB_ACCEPT_EXAMPLE,
            hint="ids look like fv-1a2b3c4d5e",
            nl=f"geen id van een bevinding: {fid!r}",
            hint_nl="een id ziet eruit als fv-1a2b3c4d5e",
        )
    if verdict not in VERDICTS:
        raise _unknown_verdict(verdict, loc, KB_ACCEPT_EXAMPLE)
    if not article:
        raise ValidationError(
            f"accepted finding {fid} needs the article it concerns",
            loc,
            value=article,
            example=KB_ACCEPT_EXAMPLE,
            nl=f"geaccepteerde bevinding {fid} heeft het betreffende artikel nodig",
        )
    if not reason:
        raise _no_reason(fid, loc, reason, KB_ACCEPT_EXAMPLE)
    existing = load_accepted(path, strict=True) if path.is_file() else {}
    if fid in existing:
        raise ValidationError(
            f"finding {fid} is accepted already ({existing[fid].source})",
            loc,
            value=fid,
            example=KB_ACCEPT_EXAMPLE,
            nl=f"bevinding {fid} is al geaccepteerd ({existing[fid].source})",
        )
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    entry = yaml.safe_dump(
        [{"id": fid, "verdict": verdict, "article": article, "reason": {lang: reason} if lang else reason}],
        allow_unicode=True,
        sort_keys=False,
        width=116,
        default_flow_style=False,
    )
    text = old + ("\n" if old and not old.endswith("\n") else "") + entry
    write_text(path, text)
    return path
