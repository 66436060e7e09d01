"""Goals a user asks (command line, saved query, API): checked against the document and typed by its vocabulary.

A goal's constants are read by the type of the field they stand for, as the case reader reads a case file's values
(:func:`oerlog.kb.vocabulary.convert`): ``resit_excluded(42, C)`` asks for student ``"42"`` (identifiers are text),
``final_result(S, C, "5,45")`` for the grade 5.45. A constant that cannot be read as its field's type (``"abc"`` for
a grade) is refused with the goal, a caret at the argument and an example, instead of silently matching nothing.

The fields of a predicate: an input relation's and a shared concept's as the vocabulary declares them; any other
derived predicate's as its rules compute them (the front end's type inference, :mod:`oerlog.lang.types`); a field
whose type cannot be told leaves its constant as written.
"""

from __future__ import annotations

from dataclasses import replace

from oerlog.errors import Location, OerlogError, UsageError, ValidationError, did_you_mean
from oerlog.kb.loader import Document
from oerlog.kb.vocabulary import Field, Relation, convert
from oerlog.lang import ir
from oerlog.lang.parser import parse_atom
from oerlog.lang.types import CLASS_FIELD_TYPES
from oerlog.values import Value, format_literal

GOAL_EXAMPLE = 'resit_excluded("anna", C)'


def parse_goal(doc: Document, text: str, origin: Location | None = None) -> ir.Atom:
    """Parse a goal, check its predicate and arity against ``doc`` and read its constants by their fields' types.

    ``origin`` is where the goal text starts (a saved query's ``goal:`` value); by default the goal is reported as
    ``<goal>`` with its text."""
    try:
        atom = parse_atom(text, origin.file if origin else "<goal>")
        check_goal(doc, atom)
        return type_goal(doc, atom)
    except OerlogError as exc:
        raise _placed(exc, text, origin) from None


def _by_label(doc: Document, name: str, known: dict[str, int], lang: str = "en") -> str:
    """``"herkansing_uitgesloten" is the Dutch label of resit_excluded; `` for a name a reader wrote in words."""
    voc = doc.kb.vocabulary
    found = [n for n in voc.by_label(name) if n in known]
    if not found:
        return ""
    labels = "; ".join(f"{n} ({(voc.relation(n) or voc.relations[n]).label_in('nl')})" for n in found[:3])
    if lang == "nl":
        return f"{name!r} is de Nederlandse omschrijving van {labels}; in een doel staat de naam van het predicaat; "
    return f"{name!r} reads as the Dutch label of {labels}; "


def check_goal(doc: Document, atom: ir.Atom) -> None:
    """A located error unless ``atom`` names a relation of ``doc`` (derived, or an input relation) with its arity."""
    known = predicate_arities(doc)
    if atom.pred not in known:
        raise UsageError(
            f"unknown predicate {atom.pred!r} in document {doc.id}",
            atom.loc,
            value=atom.pred,
            hint=did_you_mean(atom.pred, known, n=3, quote=False, sep=", ")
            + _by_label(doc, atom.pred, known)
            + "see: oerlog docs "
            + doc.id,
            example=GOAL_EXAMPLE,
            span=len(atom.pred),
            nl=f"onbekend predicaat {atom.pred!r} in document {doc.id}",
            hint_nl=did_you_mean(atom.pred, known, n=3, quote=False, sep=", ", lang="nl")
            + _by_label(doc, atom.pred, known, "nl")
            + "zie: oerlog docs "
            + doc.id,
        )
    if known[atom.pred] != atom.arity:
        n = known[atom.pred]
        raise UsageError(
            f"{atom.pred} takes {n} argument(s), the goal gives {atom.arity}",
            atom.loc,
            value=str(atom),
            example=f"{atom.pred}(" + ", ".join(f"X{i + 1}" for i in range(n)) + ")",
            span=len(atom.pred),
            nl=f"{atom.pred} heeft {n} argument{'en' if n != 1 else ''}, het doel geeft er {atom.arity}",
        )


def predicate_arities(doc: Document) -> dict[str, int]:
    """Every relation a goal on ``doc`` may name, with its arity: derived (also by rules waiting for an unfilled
    parameter, or by facts in the rules), and the vocabulary's input relations."""
    plan = doc.plan()
    known = {cr.head.pred: cr.head.arity for cr in plan.rules if not plan.is_internal(cr.head.pred)}
    known.update({r.head.pred: r.head.arity for r in plan.blocked_rules})
    known.update({r.head.pred: r.head.arity for r in doc.program.rules if not r.defeats})  # listed choices too
    known.update({f.pred: f.arity for f in plan.facts})
    known.update(doc.kb.vocabulary.input_arities())
    return known


def type_goal(doc: Document, atom: ir.Atom) -> ir.Atom:
    """``atom`` with every constant read by the type of its field (see the module doc); variables stay as they
    are. A constant that cannot be read as its field's type raises a :class:`ValidationError` located at the
    argument, with the field's type and an example goal."""
    if not any(isinstance(a, ir.Const) for a in atom.args):
        return atom
    rel = goal_relation(doc, atom.pred, atom.arity)
    if rel is None:
        return atom
    args: list[ir.Term] = []
    for i, (arg, fld) in enumerate(zip(atom.args, rel.fields, strict=True)):
        if isinstance(arg, ir.Const) and fld.type:
            args.append(replace(arg, value=_read(arg, fld, rel, atom, i)))
        else:
            args.append(arg)
    return replace(atom, args=tuple(args))


def goal_relation(doc: Document, pred: str, arity: int) -> Relation | None:
    """The typed fields of ``pred`` in ``doc`` (see the module doc); a field typed ``""`` is of unknown type.
    None when nothing is known."""
    voc = doc.kb.vocabulary
    for rel in (voc.relations.get(pred), voc.concepts.get(pred)):
        if rel is not None and rel.arity == arity:
            return rel
    inferred = doc.types.relations.get(pred)
    if inferred is None or inferred.arity != arity:
        return None
    fields = tuple(
        Field(name, CLASS_FIELD_TYPES[t] if t else "") for name, t in zip(inferred.columns, inferred.types, strict=True)
    )
    return Relation(pred, fields, kind="derived")


def _read(arg: ir.Const, fld: Field, rel: Relation, atom: ir.Atom, i: int) -> Value:
    raw = None if isinstance(arg.value, str) else format_literal(arg.value)
    loc = arg.loc or atom.loc or Location("<goal>")
    try:
        return convert(arg.value, raw, fld, rel, loc)
    except ValidationError as exc:
        shown = list(map(str, atom.args))
        shown[i] = _example_literal(fld)
        raise ValidationError(
            f"argument {i + 1} of {atom.pred} ({fld.name}): {exc.message.split(': ', 1)[-1]}",
            loc,
            value=str(arg),
            hint=f"{fld.name} must be {fld.describe()}; a goal's constants are read like a case file's values",
            example=f"{atom.pred}({', '.join(shown)})",
            span=len(str(arg)),
            nl=f"argument {i + 1} van {atom.pred} ({fld.name}): {exc.message_in('nl').split(': ', 1)[-1]}",
            hint_nl=f"{fld.name} moet {fld.describe('nl')} zijn; de constanten van een doel worden gelezen als de"
            " waarden in een casusbestand",
        ) from None


def _example_literal(fld: Field) -> str:
    """A valid constant for ``fld`` as written in a goal."""
    if fld.type in ("id", "enum"):
        return format_literal(fld.example())
    return fld.example()


def _placed(exc: OerlogError, text: str, origin: Location | None) -> OerlogError:
    """Point an error in a goal at the goal text: the text itself shown with a caret (a command-line goal), or
    the line of the file the goal was read from, shifted to where the goal starts there."""
    loc = exc.location
    if origin is None:
        exc.location = loc or Location("<goal>", 1, 1)
        exc.source_text = text.strip()
    elif loc is None or loc.file != origin.file:
        exc.location = origin
    elif loc.line <= 1:
        exc.location = Location(origin.file, origin.line, origin.column + max(0, loc.column - 1))
    else:
        exc.location = Location(origin.file, origin.line + loc.line - 1, loc.column)
    return exc
