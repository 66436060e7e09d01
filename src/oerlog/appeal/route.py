"""The appeal route and term of a decision: from the regulation itself, else from the OER it works within (its
frame), else the statutory route (``kb/statutory-appeal.yaml``: the law's body and term, quoted verbatim).

The deadline runs from the day the decision was made known (the case's ``decision_date``; without it, the
reference date, said so): the term starts the day after (the statute's ``starts`` provisions), ends the same
weekday so many weeks later, and a term ending on a Saturday, Sunday or public holiday is extended to the next
day that is none of these (the statute's ``extended`` provisions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oerlog.errors import Location, ValidationError
from oerlog.evaluation.judge import Judgement
from oerlog.kb import yamlpos
from oerlog.kb.loader import Document
from oerlog.kb.vocabulary import Texts, texts_value
from oerlog.lang import ir
from oerlog.values import is_working_day

STATUTE_FILE = "statutory-appeal.yaml"
EXAMPLE = 'awb-6:7: {law: {nl: "Algemene wet bestuursrecht", en: "..."}, short: Awb, article: "6:7", text: "..."}'


@dataclass(frozen=True)
class Quoted:
    """One provision quoted in the annex: ``art. 6:7 Awb``, the law's or article's title, the verbatim text."""

    label: str
    title: str
    text: str

    @property
    def article(self) -> str:
        """For sorting with the regulation's provisions (statutes last)."""
        return "~" + self.label

    @property
    def lid(self) -> str | None:
        """Sorting key companion of :attr:`article`."""
        return None


@dataclass
class Statute:
    """The statutory route (``kb/statutory-appeal.yaml``)."""

    body: Texts
    route: list[str]  # provision keys
    weeks: int
    term: list[str]
    starts: list[str]
    extended: list[str]
    provisions: dict[str, tuple[Texts, str, str, str | None, str]]  # key -> (law, short, article, lid, text)

    def quoted(self, key: str, lang: str) -> Quoted:
        """Provision ``key`` for the annex."""
        law, short, article, lid, text = self.provisions[key]
        label = f"art. {article}" + (f" lid {lid}" if lid else "") + f" {short}"
        return Quoted(label, law.in_(lang), text)

    def cite(self, keys: list[str]) -> str:
        """``art. 6:7 Awb`` for the provisions ``keys``."""
        return ", ".join(self.quoted(k, "nl").label for k in keys)


def load_statute(root: Path) -> Statute | None:
    """``kb/statutory-appeal.yaml``, checked; None when the KB has none. Errors are located (file, line, column)."""
    path = root / STATUTE_FILE
    if not path.is_file():
        return None
    data = yamlpos.load(path)
    if not isinstance(data, yamlpos.YDict):
        raise ValidationError(
            f"{STATUTE_FILE} must be a mapping",
            Location(str(path)),
            example="route: ...",
            nl=f"{STATUTE_FILE} moet een mapping zijn",
        )
    provs: dict[str, tuple[Texts, str, str, str | None, str]] = {}
    block = _mapping(data, "provisions", path)
    for key, spec in block.items():
        if not isinstance(spec, yamlpos.YDict):
            raise ValidationError(
                f"provision {key} must be a mapping",
                block.locs[key],
                value=key,
                example=EXAMPLE,
                nl=f"de bepaling {key} moet een mapping zijn",
            )
        for need in ("law", "short", "article", "text"):
            if not spec.get(need):
                raise ValidationError(
                    f"provision {key} lacks '{need}'",
                    spec.loc,
                    value=key,
                    example=EXAMPLE,
                    nl=f"de bepaling {key} mist '{need}'",
                )
        law = texts_value(spec["law"], spec.locs["law"], f"{key}: law", allow_plain=True)
        lid = str(spec["lid"]) if spec.get("lid") is not None else None
        provs[str(key)] = (law, str(spec["short"]), str(spec["article"]), lid, str(spec["text"]))
    route = _mapping(data, "route", path)
    term = _mapping(data, "term", path)
    weeks = term.get("weeks")
    if not isinstance(weeks, int) or isinstance(weeks, bool) or weeks <= 0:
        raise ValidationError(
            "term: weeks must be a whole number above 0",
            term.locs.get("weeks", term.loc),
            value=weeks,
            example="weeks: 6",
            nl="term: weeks moet een geheel getal groter dan 0 zijn",
        )
    return Statute(
        texts_value(route.get("body"), route.locs.get("body", route.loc), "route: body", allow_plain=True),
        _keys(route, provs),
        weeks,
        _keys(term, provs),
        _keys(_mapping(term, "starts", path), provs),
        _keys(_mapping(term, "extended", path), provs),
        provs,
    )


def _mapping(data: yamlpos.YDict, key: str, path: Path) -> yamlpos.YDict:
    value = data.get(key)
    if not isinstance(value, yamlpos.YDict):
        raise ValidationError(
            f"{STATUTE_FILE}: '{key}' must be a mapping",
            data.locs.get(key, data.loc),
            value=value,
            example=f"{key}: {{}}",
            nl=f"{STATUTE_FILE}: '{key}' moet een mapping zijn",
        )
    return value


def _keys(spec: yamlpos.YDict, provs: dict[str, Any]) -> list[str]:
    raw = spec.get("provisions")
    if not isinstance(raw, yamlpos.YList) or not raw:
        raise ValidationError(
            "'provisions' must list provision keys",
            spec.loc,
            example="provisions: [awb-6:7]",
            nl="'provisions' moet een lijst van sleutels van bepalingen zijn",
        )
    out: list[str] = []
    for i, k in enumerate(raw):
        if str(k) not in provs:
            raise ValidationError(
                f"unknown provision {k!r}",
                raw.locs[i],
                value=k,
                hint="provisions: " + ", ".join(provs),
                example="provisions: [awb-6:7]",
                nl=f"onbekende bepaling {k!r}",
                hint_nl="bepalingen: " + ", ".join(provs),
            )
        out.append(str(k))
    return out


def term_end(known: dt.date, weeks: int, extend: bool = True) -> tuple[dt.date, dt.date]:
    """The last day of a term of ``weeks`` weeks that starts the day after ``known`` (the decision made known): the
    day so many weeks after ``known`` (a term that starts on a Tuesday ends on a Monday); then, with ``extend``
    (the statute's extension), when that day is a Saturday, Sunday or public holiday, the next day that is none of
    these. Returns (end, extended end)."""
    end = known + dt.timedelta(weeks=weeks)
    extended = end
    while extend and not is_working_day(extended):
        extended += dt.timedelta(days=1)
    return end, extended


@dataclass
class Route:
    """Where and until when the student can appeal, each part with where it comes from."""

    body: str
    via: str | None
    weeks: int
    known: dt.date  # the day the decision was made known (or the reference date)
    known_is_reference_date: bool
    end: dt.date  # the term's last day as counted
    deadline: dt.date  # after the extension for a weekend or holiday
    body_from: str  # document | frame | statute
    term_from: str
    body_cites: list[str] = field(default_factory=list)  # "art. 17 lid 1", "art. 7.61 lid 1 WHW"
    term_cites: list[str] = field(default_factory=list)
    start_cites: list[str] = field(default_factory=list)  # the term starts the day after (Awb 6:8)
    extension_cites: list[str] = field(default_factory=list)  # weekend and holiday extension (Atw)
    frame_title: str | None = None
    quoted: list[Any] = field(default_factory=list)  # Provision or Quoted, for the annex

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (dates as ISO text)."""
        return {
            "body": self.body,
            "via": self.via,
            "weeks": self.weeks,
            "from": self.known.isoformat(),
            "from_is_reference_date": self.known_is_reference_date,
            "term_ends": self.end.isoformat(),
            "deadline": self.deadline.isoformat(),
            "body_from": self.body_from,
            "term_from": self.term_from,
            "body_cites": self.body_cites,
            "term_cites": self.term_cites,
            "start_cites": self.start_cites,
            "extension_cites": self.extension_cites,
        }


def _weeks(doc: Document, spec: dict[str, Any], j: Judgement) -> int | None:
    term = spec.get("term") or {}
    if "weeks" in term:
        return int(term["weeks"])
    if "parameter" in term:
        overrides = j.overrides if doc.id == j.document.id else None
        v = doc.plan(overrides or None).params.get(str(term["parameter"]))
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    return None


def _cite(doc: Document, spec: dict[str, Any], frame: bool = False) -> tuple[list[str], list[Any]]:
    """The provision ``spec`` cites; of a frame OER, titled with the frame's title too (the annex of an R&A then
    does not pass it off as an article of its own)."""
    cite = spec.get("cite") or {}
    if not cite:
        return [], []
    p = doc.provision(ir.Citation(str(cite.get("article")), str(cite["lid"]) if cite.get("lid") else None))
    if p is None:
        return [], []
    return [p.label], [Quoted(p.label, f"{p.title} ({doc.title})", p.text) if frame else p]


def appeal_route(j: Judgement, lang: str) -> Route | None:
    """The route and term for the judgement's decision (None only when the KB has no statute and neither the
    document nor its frame names a route)."""
    doc = j.document
    statute = load_statute(doc.kb.root)
    own = doc.meta.get("appeal") if isinstance(doc.meta.get("appeal"), dict) else None
    frame_id = doc.meta.get("frame")
    frame = doc.kb.loaded_or_none(str(frame_id)) if frame_id else None
    framed = frame.meta.get("appeal") if frame is not None and isinstance(frame.meta.get("appeal"), dict) else None
    quoted: list[Any] = []
    body_cites: list[str] = []
    term_cites: list[str] = []
    # the body
    if own and own.get("body"):
        body, via, body_from = str(own["body"]), own.get("via"), "document"
        body_cites, q = _cite(doc, own)
        quoted += q
    elif framed and framed.get("body") and frame is not None:
        body, via, body_from = str(framed["body"]), framed.get("via"), "frame"
        body_cites, q = _cite(frame, framed, frame=True)
        quoted += q
    elif statute is not None:
        body, via, body_from = statute.body.in_(lang), None, "statute"
        body_cites = [statute.quoted(k, lang).label for k in statute.route]
        quoted += [statute.quoted(k, lang) for k in statute.route]
    else:
        return None
    # the term
    weeks: int | None = None
    term_from = ""
    if own and (weeks := _weeks(doc, own, j)):
        term_from = "document"
        if body_from != "document" or not body_cites:
            c, q = _cite(doc, own)
            quoted += q
            term_cites = c
        else:
            term_cites = body_cites
    elif framed and frame is not None and (weeks := _weeks(frame, framed, j)):
        term_from = "frame"
        c, q = _cite(frame, framed, frame=True)
        term_cites = c
        quoted += [x for x in q if x not in quoted]
    elif statute is not None:
        weeks, term_from = statute.weeks, "statute"
        term_cites = [statute.quoted(k, lang).label for k in statute.term]
        quoted += [statute.quoted(k, lang) for k in statute.term]
    if not weeks:
        return None
    start_cites: list[str] = []
    extension_cites: list[str] = []
    if statute is not None:
        start_cites = [statute.quoted(k, lang).label for k in statute.starts]
        extension_cites = [statute.quoted(k, lang).label for k in statute.extended]
        quoted += [statute.quoted(k, lang) for k in (*statute.starts, *statute.extended)]
    known = j.case.decision_date or j.case.reference_date or dt.date.today()
    end, deadline = term_end(known, weeks, extend=statute is not None)  # the extension is the statute's
    return Route(
        body,
        str(via) if via else None,
        weeks,
        known,
        j.case.decision_date is None,
        end,
        deadline,
        body_from,
        term_from,
        body_cites,
        term_cites,
        start_cites,
        extension_cites,
        frame.title if frame is not None and "frame" in (body_from, term_from) else None,
        quoted,
    )
