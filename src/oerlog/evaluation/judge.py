"""Judge a case under a regulation: pick the document (by rules or by choice), evaluate, keep the model.

This is the entry point the CLI, the scenario runner and API users call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from oerlog.errors import UsageError, did_you_mean
from oerlog.evaluation.engine import evaluate
from oerlog.kb.cases import Case
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang import ir
from oerlog.semantics.model import Model
from oerlog.semantics.plan import build_plan
from oerlog.values import Value, format_literal, parse_date, plain_text, to_number
from oerlog.version import __version__


@dataclass
class Judgement:
    """A document's evaluation of a case: the model and everything needed to explain or recompute it."""

    kb: KnowledgeBase
    document: Document
    case: Case
    model: Model
    overrides: dict[str, Value] = field(default_factory=dict)
    selection: str = ""  # how the document was chosen: chosen (--doc / API), case (named in the case), scope (rules)

    def receipt(self) -> dict[str, Any]:
        """What is needed to recompute this judgement later."""
        return {
            "oerlog_version": __version__,
            "document": self.document.id,
            "document_version": self.document.version,
            "kb_sha256": self.kb.digest,
            "case_sha256": self.case.digest,
            "case_file": self.case.path,
            "reference_date": self.case.reference_date.isoformat() if self.case.reference_date else None,
            "parameter_overrides": {k: plain_text(v) for k, v in self.overrides.items()},
            "document_selection": self.selection,
        }

    def answers(self, goal: ir.Atom) -> list[tuple[Value, ...]]:
        """Tuples of the model that match ``goal``."""
        return self.model.match(goal)

    def kinds(self, pred: str) -> list[str | None]:
        """The type class of each column of ``pred`` in the document (``dec``, ``int``, ``date``, ``bool``, ``str``;
        None: unknown), to write its values in JSON by their kind (:func:`oerlog.values.json_value`)."""
        rel = self.document.types.relations.get(pred)
        return list(rel.types) if rel is not None else []


def parse_overrides(doc: Document, raw: dict[str, str] | list[str] | None, option: str = "--param") -> dict[str, Value]:
    """Turn ``name=value`` strings (from ``option``: --param, --set) into typed parameter values of ``doc``.

    A value is read by the parameter's declared type and must be in range: numbers finite, at most
    ``PARAM_LIMIT`` in size and ``PARAM_DECIMALS`` decimals, grades 1 to 10, EC not negative, dates that exist."""
    if not raw:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        pairs = [(k, str(v)) for k, v in raw.items()]
    else:
        for item in raw:
            if "=" not in item:
                raise UsageError(
                    f"{option} expects NAME=VALUE, got {item!r}",
                    value=item,
                    example=f"{option} resit_min_grade=4.5",
                    nl=f"{option} verwacht NAAM=WAARDE, niet {item!r}",
                )
            k, v = item.split("=", 1)
            pairs.append((k.strip(), v.strip()))
    out: dict[str, Value] = {}
    for name, text in pairs:
        decl = doc.param_decl(name)
        if decl is None:
            names = sorted(p.name for p in doc.program.params)
            raise UsageError(
                f"document {doc.id} has no parameter {name!r}",
                value=name,
                hint=did_you_mean(name, names) + "parameters: " + (", ".join(names) or "(none)"),
                example=f"{option} resit_min_grade=4.5",
                nl=f"document {doc.id} heeft geen parameter {name!r}",
                hint_nl=did_you_mean(name, names, lang="nl") + "parameters: " + (", ".join(names) or "(geen)"),
            )
        out[name] = _param_value(decl, text, option)
    return out


PARAM_LIMIT = 10**9  # largest size of a number given for a parameter (day counts, years, thresholds)
PARAM_DECIMALS = 18
_PARAM_EXAMPLES = {"date": "2025-09-01", "boolean": "true", "string": "x", "integer": "7", "grade": "5.5"}
_TYPE_NL = {
    "decimal": "een decimaal getal",
    "grade": "een cijfer",
    "integer": "een geheel getal",
    "ec": "een aantal EC",
    "date": "een datum",
    "boolean": "een waarheidswaarde (true of false)",
    "string": "een tekst",
}


def _param_value(decl: ir.ParamDecl, text: str, option: str = "--param") -> Value:
    """``text`` read as a value of the parameter's type; a UsageError naming the option, the value and an example
    when it cannot be, or is out of range."""
    t = decl.type
    declared = f" with the value {format_literal(decl.value)}" if decl.value is not None else ""
    declared_nl = f" met de waarde {format_literal(decl.value)}" if decl.value is not None else ""

    def bad(why: str, why_nl: str) -> UsageError:
        return UsageError(
            f"{option} {decl.name}={text}: {decl.name} is {'an' if t[:1] in 'aeiou' else 'a'} {t}; {why}",
            value=text,
            hint=f"parameter {decl.name} is declared" + (f" at {decl.loc}" if decl.loc else "") + declared,
            example=f"{option} {decl.name}="
            + (format_literal(decl.options[0]) if decl.options else _PARAM_EXAMPLES.get(t, "4.5")),
            nl=f"{option} {decl.name}={text}: {decl.name} is {_TYPE_NL.get(t, t)}; {why_nl}",
            hint_nl=f"parameter {decl.name} is gedeclareerd" + (f" op {decl.loc}" if decl.loc else "") + declared_nl,
        )

    value = _typed_param_value(t, text, bad)
    if not decl.admits(value):
        options = ", ".join(format_literal(o) for o in decl.options)
        raise bad(
            "not one of the options the text offers: " + options,
            "niet een van de mogelijkheden die de tekst biedt: " + options,
        )
    return value


def _typed_param_value(t: str, text: str, bad: Callable[[str, str], UsageError]) -> Value:
    """``text`` read as a value of type ``t`` (see :func:`_param_value`)."""
    if t in ("decimal", "grade", "integer", "ec"):
        n = to_number(text)
        if n is None:
            raise bad(f"{text!r} is not a number", f"{text!r} is geen getal")
        return _param_number(n, t, bad)
    if t == "date":
        d = parse_date(text)
        if d is None:
            raise bad(
                f"{text!r} is not a date that exists (YYYY-MM-DD)",
                f"{text!r} is geen bestaande datum; verwacht een datum, bijvoorbeeld 2025-11-20",
            )
        return d
    if t == "boolean":
        if text.lower() not in ("true", "false"):
            raise bad(f"{text!r} is not true or false", f"{text!r} is niet true of false")
        return text.lower() == "true"
    return text


def _param_number(n: Decimal | int, t: str, bad: Callable[[str, str], UsageError]) -> Value:
    """A number given for a parameter of type ``t``, checked against the type's range."""
    if not -PARAM_LIMIT <= n <= PARAM_LIMIT:
        raise bad(
            f"out of range: a parameter value is at most {PARAM_LIMIT:,} in size",
            f"buiten het bereik: de waarde van een parameter is ten hoogste {PARAM_LIMIT:,}".replace(",", "."),
        )
    if isinstance(n, Decimal) and -int(n.as_tuple().exponent) > PARAM_DECIMALS:
        raise bad(f"too many decimals: at most {PARAM_DECIMALS}", f"te veel decimalen: ten hoogste {PARAM_DECIMALS}")
    if t == "integer":
        if n != int(n):
            raise bad("not a whole number", "geen geheel getal")
        return int(n)
    if t == "grade" and not (1 <= n <= 10):
        raise bad("a grade is between 1.0 and 10.0", "een cijfer ligt tussen 1,0 en 10,0")
    if t == "ec" and n < 0:
        raise bad("EC cannot be negative", "het aantal EC kan niet negatief zijn")
    return n


def select_document(kb: KnowledgeBase, case: Case, doc_id: str | None = None) -> tuple[Document, str, Model | None]:
    """The document to judge under: the explicit choice, the case's ``document:``, or what ``kb/scope.dl``
    derives from the case's facts (``applies(Doc, Student)``)."""
    if doc_id:
        return kb.document(doc_id), "chosen", None
    if case.document:
        try:
            return kb.document(case.document), "case", None
        except UsageError as exc:  # an unknown document named in the case file: point at its line
            exc.location = exc.location or case.document_loc
            raise
    if not kb.scope.rules:
        raise UsageError(
            "no document given and the KB has no scope rules",
            example="--doc uu-gnk-ba-2025",
            nl="er is geen document gegeven en de kennisbank heeft geen regels voor de reikwijdte",
        )
    facts = {k: set(v) for k, v in case.facts.items()}
    for k, v in kb.scope_facts().items():
        facts.setdefault(k, set()).update(v)
    model = evaluate(build_plan(kb.scope), facts)
    found = sorted({str(r[0]) for r in model.tuples("applies")})
    if len(found) == 1:
        return kb.document(found[0]), "scope", model
    if not found:
        raise UsageError(
            "no regulation applies to the students of this case (no enrolment matches any document's "
            "programmes and academic year)",
            case.location_of("enrolment"),
            value=case.path,
            hint="add an enrolment fact, or name the document with --doc / 'document:' in the case",
            example="--doc " + next(iter(kb.document_ids), "uu-gnk-ba-2025"),
            nl="geen enkele regeling is van toepassing op de studenten van deze casus (geen inschrijving past bij"
            " de opleidingen en het studiejaar van een document)",
            hint_nl="voeg een inschrijving (enrolment) toe, of noem het document met --doc of met 'document:' in de"
            " casus",
        )
    raise UsageError(
        "several regulations apply to this case: " + ", ".join(found),
        case.location_of("enrolment"),
        value=case.path,
        hint="choose one with --doc",
        example="--doc " + found[0],
        nl="meer dan één regeling is van toepassing op deze casus: " + ", ".join(found),
        hint_nl="kies er een met --doc",
    )


def judge(
    kb: KnowledgeBase,
    case: Case,
    doc_id: str | None = None,
    overrides: dict[str, Value] | None = None,
    *,
    timeout: float | None = None,
) -> Judgement:
    """Evaluate ``case`` under the applicable document (or ``doc_id``)."""
    doc, how, _ = select_document(kb, case, doc_id)
    plan = doc.plan(overrides or None)
    model = evaluate(plan, case.facts, timeout=timeout)
    return Judgement(kb, doc, case, model, dict(overrides or {}), how)
