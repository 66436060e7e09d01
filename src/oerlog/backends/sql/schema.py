"""The relations of a compiled plan as tables: their columns and type classes as the front end infers them
(:func:`oerlog.lang.types.infer_types`, run over the plan's rules as compiled: parameters substituted, auxiliary
relations included), mapped to SQL types, and the decimals each DECIMAL column keeps (DuckDB's scale rules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from oerlog.backends.sql.exprs import expr_scale
from oerlog.backends.sql.program import INPUT_DECIMAL_SCALE, RelSchema, SqlCompileError, value_scale
from oerlog.kb.vocabulary import Vocabulary
from oerlog.lang import ir
from oerlog.lang.types import DEC, FIELD_TYPES, Env, ProgramTypes, RelationType, TypeClass, declared_types, infer_types
from oerlog.semantics.plan import CompiledRule, StepKind

_CLASSES: dict[str, TypeClass] = {t: t for t in FIELD_TYPES.values()}


class Tables:
    """The tables of the relations a compiled program reads (``inputs``) and derives (``schemas`` holds both),
    with the type classes of every compiled rule's variables (``envs``) and the decimals of its DECIMAL ones
    (``scales``), by the rule's index in the plan. ``facts`` are the facts written in the rules, ``by_head`` the
    compiled rules by head, ``is_derived`` tells a derived relation from an input one."""

    def __init__(
        self,
        by_head: Mapping[str, list[CompiledRule]],
        facts: Mapping[str, list[ir.Atom]],
        is_derived: Callable[[str], bool],
    ) -> None:
        self.by_head = by_head
        self.facts = facts
        self.is_derived = is_derived
        self.types = ProgramTypes({}, [])
        self.schemas: dict[str, RelSchema] = {}
        self.inputs: dict[str, RelSchema] = {}
        self.envs: dict[int, Env] = {}
        self.scales: dict[int, dict[str, int]] = {}

    def infer(
        self,
        rules: Sequence[CompiledRule],
        preds: set[str],
        voc: Vocabulary | None,
        input_types: Mapping[str, Sequence[str]] | None,
        waiting: Sequence[ir.Rule] = (),
    ) -> ProgramTypes:
        """The types of the relations ``preds`` (derived by ``rules``) and of the rules' variables, from the front
        end (the vocabulary's types, or ``input_types`` for the inputs it does not declare), then the decimals the
        DECIMAL columns keep; raises :class:`SqlCompileError` for a type error. A relation that only ``waiting``
        rules derive (they need an unfilled choice: it stays empty) is typed from them, so that its empty table
        compares with the other columns."""
        body = [
            ir.Rule(cr.head, tuple(st.literal for st in cr.steps), cr.source.ann, None, cr.source.loc) for cr in rules
        ]
        inputs = declared_types(voc.relations) if voc is not None else {}
        for name, rel in (voc.relations if voc is not None else {}).items():
            if rel.is_open:  # the facts a case states false have the relation's fields
                own = inputs[name]
                inputs[ir.false_name(name)] = RelationType(ir.false_name(name), own.columns, own.types)
        for pred, classes in (input_types or {}).items():
            declared = inputs.get(pred)
            names = declared.columns if declared and declared.arity == len(classes) else None
            types = [_CLASSES.get(t) for t in classes]
            inputs[pred] = RelationType(pred, names or [f"a{i + 1}" for i in range(len(classes))], types)
        concepts = declared_types(voc.concepts) if voc is not None else {}
        facts = [f for p in sorted(preds) for f in self.facts.get(p, [])]
        self.types = infer_types(body, inputs, concepts=concepts, facts=facts)
        for name, declared in inputs.items():  # relations the rules never name (_false_<p>) keep their fields
            self.types.relations.setdefault(name, declared)
        if self.types.errors:
            e = self.types.errors[0]
            raise SqlCompileError(
                f"{e.subject} cannot be compiled to SQL: {e.detail}", e.location, value=e.rule_id, hint=e.hint
            )
        self.envs = {cr.index: env for cr, env in zip(rules, self.types.envs, strict=True)}
        derived = {cr.head.pred for cr in rules}
        missing = {p for p in preds if p not in derived}
        if missing and waiting:
            extra = infer_types([r for r in waiting if r.head.pred in missing], inputs, concepts=concepts)
            for p in missing:  # a type error in a rule that cannot fire is the front end's to report, not ours
                found = extra.relations.get(p)
                known = self.types.relations.get(p)
                if found is None:
                    continue
                if known is None or known.arity != found.arity:
                    self.types.relations[p] = found
                else:
                    types = [a if a is not None else b for a, b in zip(known.types, found.types, strict=True)]
                    self.types.relations[p] = RelationType(p, list(known.columns), types)
        for p in preds:
            known = self.types.relations.get(p)
            if known is not None:
                self.rel(p, known.arity)
        for _ in range(50):  # decimals only grow: a few passes reach the fixpoint
            changed = False
            for cr in rules:
                scales = self.rule_scales(cr)
                head = self.rel(cr.head.pred, cr.head.arity)
                for i, a in enumerate(cr.head.args):
                    sc = scales.get(a.name, 0) if isinstance(a, ir.Var) else value_scale(getattr(a, "value", None))
                    if sc > head.scales[i]:
                        head.scales[i] = sc
                        changed = True
            if not changed:
                break
        return self.types

    def rel(self, pred: str, arity: int) -> RelSchema:
        """The relation as a table: its columns, their types (from the front end) and decimals."""
        s = self.schemas.get(pred)
        if s is not None:
            return s
        t = self.types.relations.get(pred)
        if t is None or t.arity != arity:  # a relation the inference did not meet: nothing is known of it
            t = RelationType(pred, [f"a{i + 1}" for i in range(arity)], [None] * arity)
        if not self.is_derived(pred):
            s = RelSchema(pred, list(t.columns), list(t.types), derived=False)
            s.scales = [INPUT_DECIMAL_SCALE if c == DEC else 0 for c in s.types]
            self.inputs[pred] = s
        else:
            s = RelSchema(pred, list(t.columns), list(t.types))
            for f in self.facts.get(pred, []):
                for i, a in enumerate(f.args):
                    if isinstance(a, ir.Const):
                        s.scales[i] = max(s.scales[i], value_scale(a.value))
        self.schemas[pred] = s
        return s

    def rule_scales(self, cr: CompiledRule) -> dict[str, int]:
        """The decimals of the rule's variables: from the first atom that types each one (as the front end takes
        the type), or the expression or aggregate that computes it."""
        env = self.envs.get(cr.index, {})
        typed: Env = {}
        scales: dict[str, int] = {}
        self.scales[cr.index] = scales

        def atom_scales(atom: ir.Atom) -> None:
            rel = self.rel(atom.pred, atom.arity)
            for i, a in enumerate(atom.args):
                if isinstance(a, ir.Var) and typed.get(a.name) is None:
                    typed[a.name] = rel.types[i]
                    scales[a.name] = rel.scales[i]

        for st in cr.steps:
            lit = st.literal
            if st.kind is StepKind.ATOM and st.atom is not None:
                atom_scales(st.atom)
            elif st.kind in (StepKind.NOT, StepKind.DEFEAT):
                atom_scales(st.negated())
            elif st.kind is StepKind.ASSIGN and isinstance(lit, ir.Compare):
                target = st.binds[0]
                expr = lit.right if isinstance(lit.left, ir.Var) and lit.left.name == target else lit.left
                typed[target] = env.get(target)
                scales[target] = expr_scale(expr, scales)
            elif st.kind is StepKind.AGG and isinstance(lit, ir.Aggregate) and st.atom is not None:
                typed[lit.result.name] = env.get(lit.result.name)
                if lit.func in ("mean", "wmean"):
                    scales[lit.result.name] = 28
                elif lit.func != "count":
                    aux = self.rel(st.atom.pred, st.atom.arity)
                    scales[lit.result.name] = expr_scale(
                        lit.args[0], dict(zip(st.agg_columns, aux.scales, strict=True))
                    )
        return scales
