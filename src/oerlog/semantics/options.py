"""Template choices the text lists: decide what every option decides.

A parameter left ``unfilled`` with ``@options(...)`` (the text offers "6/5,5", "4/6 weken") is evaluated under each
of its options at once, in the same run: every relation that depends on such a parameter is copied once per
combination of the options of the parameters it depends on (and only those), the parameter replaced by the
option's value. After the evaluation the copies are folded back (:func:`fold_options`): a tuple *holds* when it
holds under every option, *does not hold* when it may hold under none, and is *undetermined* otherwise; the
combinations under which it holds are kept (:meth:`OptionCopies.deciding`) so the answer can name the option that
decides it.

The copies are plain relations of the plan (role ``option``), so every back end runs them unchanged; the three-valued
rewrite (:mod:`oerlog.semantics.threevalued`) then gives each its possible twin as for any relation.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from oerlog.lang import ir
from oerlog.lang.templates import with_params
from oerlog.semantics.substitute import subst_atom, subst_lit
from oerlog.values import Value

MAX_COMBINATIONS = 64  # more combinations of options for one relation: its choices stay plain unknowns

Choice = tuple[tuple[str, Value], ...]  # (parameter, option) pairs, sorted by parameter


@dataclass
class OptionCopies:
    """The copies of one relation: one per combination of the options of the parameters it depends on."""

    pred: str
    params: tuple[str, ...]
    copies: list[tuple[Choice, str]] = field(default_factory=list)  # (choice, relation of the copy)

    def names(self) -> list[str]:
        """The relations of the copies."""
        return [name for _, name in self.copies]


def copy_name(pred: str, index: int) -> str:
    """The relation of the ``index``-th copy of ``pred``."""
    return f"_option{index}_{pred}"


def option_params(program: ir.Program, params: Mapping[str, Value | None]) -> dict[str, tuple[Value, ...]]:
    """The parameters without a value whose declaration lists the options the text offers."""
    return {p.name: tuple(p.options) for p in program.params if params.get(p.name) is None and p.options}


def expand_options(
    program: ir.Program, params: Mapping[str, Value | None]
) -> tuple[list[ir.Rule], dict[str, OptionCopies]]:
    """The program's rules with every rule that depends on a listed choice replaced by its copies, and the copies
    of each relation. Rules that depend on no listed choice are returned as they are."""
    options = option_params(program, params)
    if not options:
        return list(program.rules), {}
    depends = _dependencies(program.rules, set(options))
    too_many = {p for p, s in depends.items() if _count(s, options) > MAX_COMBINATIONS}
    depends = {p: s for p, s in depends.items() if s and p not in too_many}
    if not depends:
        return list(program.rules), {}
    copies: dict[str, OptionCopies] = {}
    for pred, needed in sorted(depends.items()):
        names = tuple(sorted(needed))
        oc = OptionCopies(pred, names)
        for i, values in enumerate(itertools.product(*(options[n] for n in names))):
            oc.copies.append((tuple(zip(names, values, strict=True)), copy_name(pred, i)))
        copies[pred] = oc
    rules: list[ir.Rule] = []
    for r in program.rules:
        head = r.head.pred
        if head not in copies:
            rules.append(r)
            continue
        for choice, name in copies[head].copies:
            rules.append(_copy(r, dict(choice), name, copies))
    return rules, copies


def _dependencies(rules: list[ir.Rule], options: set[str]) -> dict[str, set[str]]:
    """For every relation: the listed choices it depends on, through its rules, the relations they read and the
    exceptions that can override them (to a fixpoint)."""
    by_id = {r.id: r for r in rules}
    dep: dict[str, set[str]] = {}
    changed = True
    while changed:
        changed = False
        for r in rules:
            need = {p.name for p in _rule_params(r)} & options
            for lit in r.body:
                for atom, _ in ir.literal_atoms(lit):
                    need |= dep.get(atom.pred, set())
            head = r.head.pred
            if r.defeats and r.defeats in by_id:  # an exception's choices reach the rule it overrides
                head_of_defeated = by_id[r.defeats].head.pred
                if not need <= dep.get(head_of_defeated, set()):
                    dep.setdefault(head_of_defeated, set()).update(need)
                    changed = True
            if not need <= dep.get(head, set()):
                dep.setdefault(head, set()).update(need)
                changed = True
    return dep


def _rule_params(r: ir.Rule) -> list[ir.Param]:
    out = [a for a in r.head.args if isinstance(a, ir.Param)]
    for lit in r.body:
        out.extend(ir.literal_params(lit))
    return out


def _count(names: set[str], options: Mapping[str, tuple[Value, ...]]) -> int:
    n = 1
    for name in names:
        n *= len(options[name])
    return n


def _copy(rule: ir.Rule, choice: dict[str, Value], name: str, copies: Mapping[str, OptionCopies]) -> ir.Rule:
    """The rule under one choice: the options put in, every relation with copies read in the matching copy."""

    def rename(atom: ir.Atom) -> ir.Atom:
        oc = copies.get(atom.pred)
        if oc is None:
            return atom
        sub = tuple((p, choice[p]) for p in oc.params)
        target = next(n for c, n in oc.copies if c == sub)
        return replace(atom, pred=target)

    body = tuple(_rename_lit(subst_lit(lit, choice), rename) for lit in rule.body)
    head = replace(subst_atom(rule.head, choice), pred=name)
    variant = "@" + ",".join(f"{p}={v}" for p, v in sorted(choice.items(), key=lambda kv: kv[0]))
    return replace(with_params(rule, choice, ()), head=head, body=body, variant=variant)


def _rename_lit(lit: ir.Literal, rename: object) -> ir.Literal:
    assert callable(rename)
    if isinstance(lit, ir.Positive):
        return ir.Positive(rename(lit.atom))
    if isinstance(lit, ir.Negative):
        return replace(lit, atom=rename(lit.atom))
    if isinstance(lit, ir.Aggregate):
        return replace(lit, body=tuple(_rename_lit(b, rename) for b in lit.body))
    return lit


__all__ = ["MAX_COMBINATIONS", "OptionCopies", "copy_name", "expand_options", "option_params"]
