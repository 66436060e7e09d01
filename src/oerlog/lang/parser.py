"""Parse rule-language text (``.dl`` files, goals) into the IR, keeping file, line and column.

The grammar is ``grammar.lark`` beside this module (its lark parser: :mod:`oerlog.lang.grammar`). Syntax errors
become :class:`KBSyntaxError` with the position, the offending token, what was expected, and an example of valid
syntax; a parameter declaration whose unit or options do not fit its type is a located :class:`DefinitionError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from itertools import count
from pathlib import Path

import lark
from lark import Token, Tree

from oerlog.errors import DefinitionError, KBSyntaxError, Location, OerlogError
from oerlog.lang import ir
from oerlog.lang.grammar import EXAMPLE_RULE, cached, lark_parser, syntax_error
from oerlog.values import AGGREGATES, FUNCTIONS, Value, format_literal

PARAM_ANNOTATIONS = {"unit", "options", "kind"}  # only on parameter declarations
ANNOTATIONS = {"id", "cite", "nl", "en", "interpretation", "discretion", "doc"} | PARAM_ANNOTATIONS
EXAMPLE_PARAM = "@unit(weeks) @options(4, 6) param admission_decision_weeks : integer = unfilled."

# Expressions are trees that later stages (evaluation, SQL, proofs) walk recursively: one written as a chain of
# thousands of terms (`1 + 1 + ... + 1`) or of nested calls would exhaust Python's recursion limit there, so it is
# refused here. Regulations need a handful of operations per expression.
MAX_EXPR_OPERATIONS = 100  # operators and function calls in one expression


class _Builder:
    """Turns lark trees into IR objects (a hand-written walker: clearer positions than a Transformer)."""

    def __init__(self, file: str, souffle_vars: bool) -> None:
        self.file = file
        self.souffle_vars = souffle_vars
        self._anon = count(1)

    def loc(self, node: Tree[Token] | Token) -> Location:
        if isinstance(node, Token):
            return Location(self.file, node.line or 0, node.column or 0)
        meta = node.meta
        return Location(self.file, getattr(meta, "line", 0), getattr(meta, "column", 0))

    def error(
        self,
        msg: str,
        node: Tree[Token] | Token,
        hint: str | None = None,
        value: object = None,
        *,
        example: str = EXAMPLE_RULE,
        cls: type[OerlogError] = KBSyntaxError,
        nl: str | None = None,
        hint_nl: str | None = None,
    ) -> OerlogError:
        """A located error at ``node`` (``nl`` and ``hint_nl``: the Dutch texts, for what a goal's writer meets)."""
        span = len(node) if isinstance(node, Token) else 1
        return cls(msg, self.loc(node), value=value, hint=hint, example=example, span=span, nl=nl, hint_nl=hint_nl)

    # --- terms --------------------------------------------------------------------------------------

    def const_value(self, node: Tree[Token]) -> Value:
        kind = node.data
        tok = node.children[-1]
        assert isinstance(tok, Token)
        s = str(tok)
        if kind == "string":
            return _unquote(s)
        if kind == "number":
            return _number(s)
        if kind == "neg_number":
            v = _number(s)
            return -v
        if kind == "date":
            try:
                return dt.date.fromisoformat(s)
            except ValueError:
                raise self.error(
                    f"{s} is not a date that exists",
                    tok,
                    hint="dates are YYYY-MM-DD",
                    value=s,
                    nl=f"{s} is geen bestaande datum",
                    hint_nl="een datum schrijft u als JJJJ-MM-DD, bijvoorbeeld 2025-11-20",
                ) from None
        if kind == "boolean":
            return s == "true"
        if kind == "symbol":
            return s
        raise self.error(f"unexpected constant {s}", tok, nl=f"onverwachte constante {s}")

    def term(self, node: Tree[Token]) -> ir.Term:
        kind = node.data
        tok = node.children[0]
        assert isinstance(tok, Token)
        if kind == "var":
            return self.var(tok)
        if kind == "param":
            return ir.Param(str(tok)[1:], self.loc(tok))
        if kind == "symbol" and self.souffle_vars:
            return self.var(tok)
        return ir.Const(self.const_value(node), self.loc(node))

    def var(self, tok: Token) -> ir.Var:
        name = str(tok)
        if name == "_":
            name = f"_{next(self._anon)}"
        return ir.Var(name, self.loc(tok))

    def pred_name(self, tok: Token) -> str:
        """A predicate name; upper-case names (a VARIABLE token) only in Souffle mode."""
        if tok.type == "VARIABLE" and not self.souffle_vars:
            raise self.error(
                f"predicate names start with a lower-case letter, not '{tok}'",
                tok,
                value=str(tok),
                hint="write the predicate in lower case; upper-case names are variables",
                nl=f"een predicaatnaam begint met een kleine letter, niet '{tok}'",
                hint_nl="schrijf het predicaat in kleine letters; namen met een hoofdletter zijn variabelen",
            )
        return str(tok)

    def atom(self, node: Tree[Token]) -> ir.Atom:
        name = node.children[0]
        assert isinstance(name, Token)
        pred = self.pred_name(name)
        args = tuple(self.term(c) for c in node.children[1:] if c is not None and isinstance(c, Tree))
        return ir.Atom(pred, args, self.loc(name))

    def call_as_atom(self, node: Tree[Token]) -> ir.Atom:
        """A body literal parsed as an expression: must be ``pred(terms)`` or a bare ``pred``."""
        if node.data == "symbol":
            tok = node.children[0]
            assert isinstance(tok, Token)
            return ir.Atom(str(tok), (), self.loc(tok))
        if node.data != "call":
            hint = "write 'p(X, Y)', 'not p(X)', or a comparison such as 'G >= 4.0'"
            if node.data == "number":
                hint = "decimals use a dot in rules: 4.0, not 4,0 (a comma separates literals)"
            raise self.error("a body literal must be an atom or a comparison", _first_token(node), hint=hint)
        name = node.children[0]
        assert isinstance(name, Token)
        pred = self.pred_name(name)
        if pred in FUNCTIONS:
            raise self.error(
                f"'{name}' is a built-in function, not a predicate",
                name,
                hint=f"use it in a comparison: 'D = {name}(...)'",
            )
        args: list[ir.Term] = []
        for c in node.children[1:]:
            if c is None:
                continue
            assert isinstance(c, Tree)
            if c.data not in ("var", "param", "string", "number", "neg_number", "date", "boolean", "symbol"):
                raise self.error(
                    "atom arguments must be variables, constants or parameters, not expressions",
                    _first_token(c),
                    hint="compute the value first: 'X = E + 1, p(X)'",
                )
            args.append(self.term(c))
        return ir.Atom(pred, tuple(args), self.loc(name))

    def expr(self, node: Tree[Token]) -> ir.Expr:
        """An expression (refused, located, when it has more than ``MAX_EXPR_OPERATIONS`` operations)."""
        n = _operations(node)
        if n > MAX_EXPR_OPERATIONS:
            raise self.error(
                f"expression too long or too deeply nested: {n} operations (operators and function calls), "
                f"at most {MAX_EXPR_OPERATIONS}",
                _first_token(node),
                hint="split the computation over several comparisons: 'X1 = A + B, X = X1 + C'",
                value=f"{n} operations",
            )
        return self._expr(node)

    def _expr(self, node: Tree[Token]) -> ir.Expr:
        kind = node.data
        if kind in ("var", "param", "string", "number", "neg_number", "date", "boolean", "symbol"):
            return self.term(node)
        if kind == "binop":
            left, op, right = node.children
            assert isinstance(left, Tree) and isinstance(right, Tree) and isinstance(op, Token)
            return ir.BinOp(str(op), self._expr(left), self._expr(right), self.loc(op))
        if kind == "call":
            name = node.children[0]
            assert isinstance(name, Token)
            fname = str(name)
            args = tuple(self._expr(c) for c in node.children[1:] if isinstance(c, Tree))
            if fname not in FUNCTIONS:
                raise self.error(
                    f"unknown function '{fname}'",
                    name,
                    value=fname,
                    hint="built-in functions: " + ", ".join(sorted(FUNCTIONS)),
                )
            arity = FUNCTIONS[fname][0]
            if len(args) != arity:
                raise self.error(f"{fname} takes {arity} argument(s), got {len(args)}", name)
            return ir.Call(fname, args, self.loc(name))
        raise self.error("unexpected expression", _first_token(node))

    # --- literals -----------------------------------------------------------------------------------

    def literal(self, node: Tree[Token]) -> ir.Literal:
        kind = node.data
        if kind == "positive":
            sub = node.children[0]
            assert isinstance(sub, Tree)
            return ir.Positive(self.call_as_atom(sub))
        if kind == "negative":
            sub = node.children[0]
            assert isinstance(sub, Tree)
            return ir.Negative(self.atom(sub), self.loc(node))
        if kind == "comparison":
            left, op, right = node.children
            assert isinstance(left, Tree) and isinstance(right, Tree) and isinstance(op, Token)
            return ir.Compare(str(op), self.expr(left), self.expr(right), self.loc(op))
        if kind == "aggregate_lit":
            left, _eq, agg = node.children
            assert isinstance(left, Tree) and isinstance(agg, Tree)
            if left.data != "var":
                raise self.error(
                    "the result of an aggregate must be a variable",
                    _first_token(left),
                    hint="N = count : { p(X) }",
                )
            res = self.term(left)
            assert isinstance(res, ir.Var)
            func_tok = agg.children[0]
            assert isinstance(func_tok, Token)
            func = str(func_tok)
            args_node = agg.children[1]
            args: tuple[ir.Expr, ...] = ()
            if isinstance(args_node, Tree):
                args = tuple(self.expr(c) for c in args_node.children if isinstance(c, Tree))
            need = AGGREGATES[func]
            if len(args) != need:
                raise self.error(
                    f"aggregate {func} takes {need} argument(s), got {len(args)}",
                    func_tok,
                    hint="count : {...}, sum X : {...}, wmean(G, EC) : {...}",
                )
            body_node = agg.children[2]
            assert isinstance(body_node, Tree)
            body = tuple(self.literal(c) for c in body_node.children if isinstance(c, Tree))
            for b in body:
                if isinstance(b, ir.Aggregate):
                    raise self.error("aggregates cannot be nested", func_tok)
            return ir.Aggregate(res, func, args, body, self.loc(func_tok))
        raise self.error("unexpected literal", _first_token(node))

    def body(self, node: Tree[Token] | None) -> tuple[ir.Literal, ...]:
        if node is None:
            return ()
        return tuple(self.literal(c) for c in node.children if isinstance(c, Tree))

    # --- statements ---------------------------------------------------------------------------------

    def annotations(self, nodes: list[Tree[Token]]) -> ir.Annotations:
        single: dict[str, str] = {}
        cites: list[ir.Citation] = []
        interpretations: list[str] = []
        interpretations_nl: list[str] = []
        discretion_nl: str | None = None
        text_at: dict[str, Location] = {}  # where the @nl / @en text starts
        for n in nodes:
            name_tok = n.children[0]
            assert isinstance(name_tok, Token)
            name = str(name_tok)
            if name not in ANNOTATIONS:
                raise self.error(
                    f"unknown annotation @{name}",
                    name_tok,
                    value=name,
                    hint="annotations: " + ", ".join("@" + a for a in sorted(ANNOTATIONS)),
                )
            if name in PARAM_ANNOTATIONS:
                continue  # read by param_annotations
            pos: list[str] = []
            kw: dict[str, str] = {}
            for a in n.children[1:]:
                if not isinstance(a, Tree):
                    continue
                if a.data == "annot_pos":
                    tok = a.children[0]
                    assert isinstance(tok, Token)
                    pos.append(_unquote(str(tok)) if tok.type == "STRING" else str(tok))
                    text_at.setdefault(name, self.loc(tok))
                elif a.data == "annot_neg":
                    raise self.error(f"@{name} takes no negative number", _first_token(a), hint=f'@{name}("...")')
                else:
                    k, _eq, v = a.children
                    assert isinstance(k, Token) and isinstance(v, Token)
                    kw[str(k)] = _unquote(str(v)) if v.type == "STRING" else str(v)
            if name == "cite":
                doc = kw.pop("doc", None)
                article = kw.pop("article", None) or (pos.pop(0) if pos else None)
                lid = kw.pop("lid", None) or (pos.pop(0) if pos else None)
                if article is None or pos or kw:
                    raise self.error(
                        "@cite takes an article and an optional lid",
                        name_tok,
                        hint='@cite("A.5", "1")  or  @cite(doc="other-doc", "8.1")',
                    )
                cites.append(ir.Citation(article, lid, doc, self.loc(n)))
                continue
            if name == "interpretation":
                en, nl = self.interpretation(pos, kw, name_tok)
                interpretations.append(en)
                interpretations_nl.append(nl)
                continue
            if name == "discretion" and kw:
                if "discretion" in single:
                    raise self.error("@discretion given twice", name_tok)
                single["discretion"], discretion_nl = self.bilingual(name, pos, kw, name_tok)
                continue
            if len(pos) != 1 or kw:
                raise self.error(f"@{name} takes exactly one argument", name_tok, hint=f'@{name}("...")')
            if name in single:
                raise self.error(f"@{name} given twice", name_tok)
            single[name] = pos[0]
        return ir.Annotations(
            id=single.get("id"),
            cites=tuple(cites),
            nl=single.get("nl"),
            en=single.get("en"),
            interpretations=tuple(interpretations),
            interpretations_nl=tuple(interpretations_nl),
            discretion=single.get("discretion"),
            discretion_nl=discretion_nl or None,
            doc=single.get("doc"),
            nl_loc=text_at.get("nl"),
            en_loc=text_at.get("en"),
        )

    def interpretation(self, pos: list[str], kw: dict[str, str], name_tok: Token) -> tuple[str, str]:
        """``@interpretation(nl="...", en="...")`` (the reading in both languages), or the older one-text form
        ``@interpretation("...")``: (English or the one text, Dutch or "")."""
        if pos and not kw and len(pos) == 1:
            return pos[0], ""
        return self.bilingual("interpretation", pos, kw, name_tok)

    def bilingual(self, name: str, pos: list[str], kw: dict[str, str], name_tok: Token) -> tuple[str, str]:
        """``@name(nl="...", en="...")``: (English, Dutch), both required and non-empty."""
        hint = f'@{name}(nl="... gelezen als ...", en="... read as ...")'
        if pos or set(kw) != {"nl", "en"}:
            raise self.error(f'@{name} takes nl="..." and en="..." (or one text)', name_tok, hint=hint)
        if not kw["nl"].strip() or not kw["en"].strip():
            raise self.error(f"@{name}: the nl and en texts may not be empty", name_tok, hint=hint)
        return kw["en"], kw["nl"]

    def param_annotations(
        self, nodes: list[Tree[Token]], type_: str
    ) -> tuple[str | None, tuple[Value, ...], str | None]:
        """A parameter's ``@unit(...)``, ``@options(...)`` (checked against its type) and ``@kind(...)`` (the shared
        parameter of the vocabulary whose concept it is: checked by lint against the vocabulary)."""
        unit: str | None = None
        options: list[Value] | None = None
        kind: str | None = None
        for n in nodes:
            name_tok = n.children[0]
            assert isinstance(name_tok, Token)
            args = [a for a in n.children[1:] if isinstance(a, Tree)]
            if str(name_tok) == "kind":
                tok = args[0].children[0] if len(args) == 1 and args[0].data == "annot_pos" else None
                if kind is not None or not isinstance(tok, Token) or tok.type != "NAME":
                    raise self.error(
                        "@kind takes one name (given once): the shared parameter of the vocabulary this one is",
                        name_tok,
                        hint="@kind(appeal_weeks)",
                        example=EXAMPLE_PARAM,
                    )
                kind = str(tok)
            elif str(name_tok) == "unit":
                if unit is not None:
                    raise self.error("@unit given twice", name_tok, example=EXAMPLE_PARAM)
                unit = self.unit(name_tok, args, type_)
            elif str(name_tok) == "options":
                if options is not None:
                    raise self.error("@options given twice", name_tok, example=EXAMPLE_PARAM)
                if not args:
                    raise self.error(
                        "@options lists the values the text offers",
                        name_tok,
                        hint="@options(6, 5.5)",
                        example=EXAMPLE_PARAM,
                    )
                options = []
                for a in args:
                    v, tok = self.option(a)
                    if not ir.value_fits(type_, v):
                        raise self.error(
                            f"option {format_literal(v)} is not {_a(type_)}",
                            tok,
                            value=format_literal(v),
                            hint=f"every option is a value of the parameter's type ({type_})",
                            example=EXAMPLE_PARAM,
                            cls=DefinitionError,
                        )
                    if any(ir.same_value(v, o) for o in options):
                        raise self.error(
                            f"option {format_literal(v)} is listed twice",
                            tok,
                            value=format_literal(v),
                            example=EXAMPLE_PARAM,
                            cls=DefinitionError,
                        )
                    options.append(v)
        return unit, tuple(options or ()), kind

    def unit(self, name_tok: Token, args: list[Tree[Token]], type_: str) -> str:
        """The unit named by ``@unit(...)``: one of :data:`ir.PARAM_UNITS`, fitting the parameter's type."""
        units = ", ".join(ir.PARAM_UNITS)
        tok = args[0].children[0] if len(args) == 1 and args[0].data == "annot_pos" else None
        if not isinstance(tok, Token) or tok.type not in ("NAME", "STRING"):
            raise self.error("@unit takes one unit", name_tok, hint="units: " + units, example=EXAMPLE_PARAM)
        unit = _unquote(str(tok)) if tok.type == "STRING" else str(tok)
        if unit not in ir.PARAM_UNITS:
            raise self.error(
                f"unknown unit {unit!r}",
                tok,
                value=unit,
                hint="units: " + units + " (leave @unit out for a number without a unit)",
                example=EXAMPLE_PARAM,
                cls=DefinitionError,
            )
        if not ir.unit_fits(type_, unit):
            need = "an integer" if unit in ir.DURATION_UNITS else "a number (integer or decimal)"
            raise self.error(
                f"a parameter with unit {unit} is {need}, not {_a(type_)}",
                tok,
                value=unit,
                hint=f"declare the parameter as {'integer' if unit in ir.DURATION_UNITS else 'decimal'}",
                example=EXAMPLE_PARAM,
                cls=DefinitionError,
            )
        return unit

    def option(self, node: Tree[Token]) -> tuple[Value, Token]:
        """One value of ``@options(...)`` and its token: a constant written as in a rule."""
        tok = node.children[-1]
        assert isinstance(tok, Token)
        if node.data == "annot_neg":
            return -_number(str(tok)), tok
        if node.data != "annot_pos" or tok.type == "VARIABLE":
            raise self.error(
                "an option is a constant: a number, a date, true / false, a name or a quoted string",
                _first_token(node),
                hint="@options(6, 5.5)  or  @options(institution, faculty, programme)",
                example=EXAMPLE_PARAM,
            )
        kind = {"STRING": "string", "NUMBER": "number", "DATE": "date", "BOOLEAN": "boolean"}.get(tok.type, "symbol")
        return self.const_value(Tree(kind, [tok])), tok

    def statement(self, node: Tree[Token], document: str | None) -> ir.Rule | ir.ParamDecl:
        anns = [c for c in node.children if isinstance(c, Tree) and c.data == "annotation"]
        rest = [c for c in node.children if not (isinstance(c, Tree) and c.data == "annotation")]
        ann = self.annotations(anns)
        decl_anns = [a for a in anns if str(a.children[0]) in PARAM_ANNOTATIONS]
        if decl_anns and node.data != "param_decl":
            tok = decl_anns[0].children[0]
            assert isinstance(tok, Token)
            raise self.error(f"@{tok} belongs to a parameter declaration, not a rule", tok, example=EXAMPLE_PARAM)
        if node.data == "clause":
            head_node, body_node = rest
            assert isinstance(head_node, Tree)
            head = self.atom(head_node)
            body = self.body(body_node if isinstance(body_node, Tree) else None)
            return ir.Rule(head, body, ann, None, self.loc(head_node), document)
        if node.data == "exception":
            target, head_node, body_node = rest
            assert isinstance(target, Token) and isinstance(head_node, Tree) and isinstance(body_node, Tree)
            return ir.Rule(self.atom(head_node), self.body(body_node), ann, str(target), self.loc(node), document)
        # param_decl
        name, type_tok, _eq, value = rest
        assert isinstance(name, Token) and isinstance(type_tok, Token) and isinstance(value, Tree)
        unit, options, kind = self.param_annotations(decl_anns, str(type_tok))
        options = tuple(_declared(str(type_tok), o) for o in options)
        decl = ir.ParamDecl(str(name), str(type_tok), None, ann, self.loc(name), unit, options, kind)
        if value.data == "unfilled":
            return decl
        val = _declared(str(type_tok), self.const_value(value))
        if not decl.admits(val):
            raise self.error(
                f"{format_literal(val)} is not one of the options of {name}: "
                + ", ".join(format_literal(o) for o in options),
                _first_token(value),
                value=format_literal(val),
                hint="give one of the options, or 'unfilled' while the choice is not made",
                example=EXAMPLE_PARAM,
                cls=DefinitionError,
            )
        return replace(decl, value=val)


def _declared(type_: str, v: Value) -> Value:
    """A parameter's value as its declared type has it: a whole number given for a ``decimal``, ``grade`` or ``ec``
    parameter (``= 6.``) is the decimal 6, as ``--param NAME=6`` gives it, so that it is written as a decimal
    everywhere (``"6.0"`` in JSON, never the number 6)."""
    if type_ in ("decimal", "grade", "ec") and isinstance(v, int) and not isinstance(v, bool):
        return Decimal(v)
    return v


def _a(word: str) -> str:
    """``word`` with its indefinite article."""
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _first_token(node: Tree[Token] | Token) -> Token:
    """The first token of a subtree (a loop: an expression tree can be deep)."""
    while isinstance(node, Tree):
        child = next((c for c in node.children if isinstance(c, (Tree, Token))), None)
        if child is None:
            return Token("X", "?")
        node = child
    return node


def _operations(node: Tree[Token]) -> int:
    """Operators and function calls in an expression tree (counted without recursion)."""
    n = 0
    todo = [node]
    while todo:
        t = todo.pop()
        if t.data in ("binop", "call"):
            n += 1
        todo.extend(c for c in t.children if isinstance(c, Tree))
    return n


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        body = s[1:-1]
        out = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)
    return s


def _number(s: str) -> Decimal | int:
    return Decimal(s) if "." in s else int(s)


def parse_program(
    text: str, file: str = "<string>", *, document: str | None = None, souffle_vars: bool = False
) -> ir.Program:
    """Parse a whole ``.dl`` text into a :class:`Program`.

    ``souffle_vars`` reads bare lower-case identifiers in argument positions as variables and accepts
    upper-case predicate names (Soufflé style, used by the conformance adapter); by default bare identifiers
    are symbols (string constants) and predicate names must start with a lower-case letter.
    """
    err: OerlogError
    try:
        tree = lark_parser().parse(text, start="start")
        b = _Builder(file, souffle_vars)
        prog = ir.Program()
        for st in tree.children:
            assert isinstance(st, Tree)
            item = b.statement(st, document)
            if isinstance(item, ir.Rule):
                prog.rules.append(item)
            else:
                prog.params.append(item)
        return prog
    except lark.exceptions.LarkError as exc:
        err = syntax_error(exc, file, text)
    except OerlogError as exc:
        err = exc
    lines = text.splitlines()
    if err.location and 0 < err.location.line <= len(lines):
        err.source_text = lines[err.location.line - 1]
    raise err


def parse_file(path: Path, *, document: str | None = None) -> ir.Program:
    """Parse a ``.dl`` file. The rules parsed from a file are kept in the user's cache directory, keyed by the
    file's path and text and by the parser's own code, so an unchanged file is not parsed again by the next
    command (a file with an error is never cached: the error is reported each time)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KBSyntaxError(
            f"cannot read {path}: {exc}", Location(str(path)), nl=f"{path} kan niet worden gelezen: {exc}"
        ) from None
    return cached(
        "rules",
        f"{code_key()}\0{path}\0{document}\0{text}",
        lambda: parse_program(text, str(path), document=document),
        ir.Program,
    )


@lru_cache(maxsize=1)
def code_key() -> str:
    """A hash of the code that turns text into rules (grammar, parser, IR): a change to it invalidates the cache."""
    h = hashlib.sha256()
    for name in ("grammar.lark", "parser.py", "ir.py", "grammar.py"):
        h.update(resources.files("oerlog.lang").joinpath(name).read_bytes())
    h.update(f"{sys.version_info[:2]}".encode())
    return h.hexdigest()


def parse_atom(text: str, file: str = "<goal>") -> ir.Atom:
    """Parse a goal such as ``resit_excluded("s1", C)``."""
    try:
        tree = lark_parser().parse(text.strip(), start="goal")
        node = tree.children[0]
        assert isinstance(node, Tree)
        return _Builder(file, False).atom(node)
    except lark.exceptions.LarkError as exc:
        err = syntax_error(exc, file, text)
    except KBSyntaxError as exc:
        err = exc
    err.example = 'resit_excluded("s1", C)'
    if file == "<goal>":
        err.source_text = text.strip()
    raise err from None
