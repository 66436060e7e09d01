"""Load a knowledge base folder: the vocabulary, the scope rules and every document.

A document folder holds ``document.yaml`` (metadata), ``articles.yaml`` (verbatim text by article and lid),
``*.dl`` (rules and parameters) and ``tests/*.yaml`` (scenarios). Loading checks everything statically (the
rules' types too, :mod:`oerlog.lang.types`) and raises located errors; a loaded :class:`Document` is ready to
evaluate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from oerlog.errors import (
    CitationError,
    DefinitionError,
    Location,
    OerlogError,
    UsageError,
    ValidationError,
    did_you_mean,
)
from oerlog.kb import yamlpos
from oerlog.kb.vocabulary import Vocabulary, load_vocabulary
from oerlog.lang import checks, ir
from oerlog.lang.parser import parse_file
from oerlog.lang.types import ProgramTypes, RelationType, declared_types, infer_program_types
from oerlog.semantics.plan import Plan, build_plan
from oerlog.values import Value

KINDS = ("oer", "ra", "rr", "guide")
STATUSES = ("encoded", "not_computable", "not_encoded")


@dataclass(frozen=True)
class Provision:
    """One citable unit: an article, or one lid of it."""

    article: str
    lid: str | None
    text: str
    title: str = ""
    section: str = ""
    status: str = "not_encoded"
    reason: str | None = None

    @property
    def label(self) -> str:
        """``art. 5.5 lid 1`` style label."""
        return f"art. {self.article}" + (f" lid {self.lid}" if self.lid else "")


@dataclass
class Article:
    """An article with its lids (``lids`` is empty when the article is one block of text)."""

    key: str
    title: str
    section: str
    text: str
    lids: dict[str, Provision]
    status: str
    reason: str | None
    loc: Location

    def provisions(self) -> list[Provision]:
        """The article's lids, or the article itself when it has none."""
        if self.lids:
            return list(self.lids.values())
        return [Provision(self.key, None, self.text, self.title, self.section, self.status, self.reason)]


@dataclass
class Document:
    """One regulation: metadata, articles and its checked program."""

    id: str
    path: Path
    meta: dict[str, Any]
    articles: dict[str, Article]
    program: ir.Program
    kb: KnowledgeBase = field(repr=False)

    @property
    def title(self) -> str:
        """Document title."""
        return str(self.meta.get("title", self.id))

    @property
    def version(self) -> str:
        """Version of the encoding (for receipts)."""
        return str(self.meta.get("version", "1"))

    @property
    def language(self) -> str:
        """Language of the source text."""
        return str(self.meta.get("language", "nl"))

    def provision(self, cite: ir.Citation) -> Provision | None:
        """Resolve a citation made in this document (possibly to another document)."""
        if cite.doc and cite.doc != self.id:
            other = self.kb.loaded_or_none(cite.doc)
            return other.provision(ir.Citation(cite.article, cite.lid)) if other else None
        art = self.articles.get(cite.article)
        if art is None:
            return None
        if cite.lid is None:
            text = art.text or "\n".join(f"{k}. {p.text}" for k, p in art.lids.items())
            return Provision(art.key, None, text, art.title, art.section, art.status, art.reason)
        return art.lids.get(cite.lid)

    def plan(self, overrides: dict[str, Value] | None = None) -> Plan:
        """The evaluation plan, with parameter overrides applied (cached for no overrides)."""
        if not overrides:
            return self._plan
        return build_plan(self.program, overrides)

    @cached_property
    def _plan(self) -> Plan:
        return build_plan(self.program)

    @cached_property
    def types(self) -> ProgramTypes:
        """The type classes of every relation and rule variable (:mod:`oerlog.lang.types`), inferred from the
        vocabulary; a loaded document has no type error."""
        return infer_program_types(self.program, self.kb.input_types, self.kb.concept_types)

    def param_decl(self, name: str) -> ir.ParamDecl | None:
        """The declaration of a parameter."""
        return next((p for p in self.program.params if p.name == name), None)

    def rule(self, rule_id: str) -> ir.Rule | None:
        """A rule by id."""
        return next((r for r in self.program.rules if r.id == rule_id), None)

    def predicates(self) -> set[str]:
        """Predicates defined by this document's rules."""
        return {r.head.pred for r in self.program.rules if not r.defeats}


@dataclass
class KnowledgeBase:
    """All documents of a ``kb/`` folder, sharing one vocabulary.

    Documents load on first use: :meth:`document` parses and checks one document (and any document it cites),
    which keeps single-case commands fast on a large KB; :attr:`documents` loads them all.
    """

    root: Path
    vocabulary: Vocabulary
    scope: ir.Program = field(default_factory=ir.Program)
    folders: dict[str, Path] = field(default_factory=dict)  # document id -> folder
    metas: dict[str, dict[str, Any]] = field(default_factory=dict)  # document id -> document.yaml
    _loaded: dict[str, Document] = field(default_factory=dict)

    @property
    def documents(self) -> dict[str, Document]:
        """Every document, loaded and checked (raises all errors of all documents at once)."""
        errors: list[OerlogError] = []
        for doc_id in sorted(self.folders):
            try:
                self.document(doc_id)
            except checks.ProgramErrors as exc:
                errors.extend(exc.errors)
            except OerlogError as exc:
                errors.append(exc)
        checks.raise_all(errors)
        return {d: self._loaded[d] for d in sorted(self.folders)}

    @property
    def document_ids(self) -> list[str]:
        """Ids of all documents (without loading them)."""
        return sorted(self.folders)

    def document(self, doc_id: str) -> Document:
        """A document by id, loaded on first use; unknown ids are a usage error listing the known ones."""
        doc = self._loaded.get(doc_id)
        if doc is not None:
            return doc
        folder = self.folders.get(doc_id)
        if folder is None:
            raise UsageError(
                f"unknown document {doc_id!r}",
                value=doc_id,
                hint=did_you_mean(doc_id, self.folders) + "known documents: " + ", ".join(sorted(self.folders)),
                example=next(iter(sorted(self.folders)), "uu-gnk-ba-2025"),
                nl=f"onbekend document {doc_id!r}",
                hint_nl=did_you_mean(doc_id, self.folders, lang="nl")
                + "bekende documenten: "
                + ", ".join(sorted(self.folders)),
            )
        doc = _load_document(folder, self)
        self._loaded[doc_id] = doc
        try:  # the rules' types (once the rules are known to be well-formed) and the citations, all at once
            checks.raise_all([*doc.types.errors, *check_citations(doc)])
        except OerlogError:
            del self._loaded[doc_id]
            raise
        return doc

    def loaded_or_none(self, doc_id: str) -> Document | None:
        """The document if it exists and loads cleanly, else None (for resolving cross-document citations)."""
        if doc_id not in self.folders:
            return None
        try:
            return self.document(doc_id)
        except OerlogError:
            return None

    @cached_property
    def input_types(self) -> dict[str, RelationType]:
        """The vocabulary's input relations with the type classes of their fields (for type inference)."""
        return declared_types(self.vocabulary.relations)

    @cached_property
    def concept_types(self) -> dict[str, RelationType]:
        """The vocabulary's shared concepts with the type classes of their fields (for type inference)."""
        return declared_types(self.vocabulary.concepts)

    def files(self) -> list[Path]:
        """Every file the KB is made of (for hashing)."""
        return sorted(p for p in self.root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".dl"))

    @cached_property
    def digest(self) -> str:
        """SHA-256 over the KB's files (names and contents): part of every receipt."""
        h = hashlib.sha256()
        for p in self.files():
            h.update(str(p.relative_to(self.root)).encode())
            h.update(b"\0")
            h.update(p.read_bytes())
        return h.hexdigest()

    def scope_facts(self) -> dict[str, set[tuple[Value, ...]]]:
        """``document_scope(Doc, Programme, AcademicYear)`` for every document (from document.yaml)."""
        rows: set[tuple[Value, ...]] = set()
        for doc_id, meta in self.metas.items():
            year = meta.get("academic_year")
            for prog in meta.get("programmes") or ():
                if isinstance(year, int):
                    rows.add((doc_id, str(prog), year))
        return {"document_scope": rows}


def open_kb(root: Path | str) -> KnowledgeBase:
    """Open a KB folder: the vocabulary, the scope rules and every document.yaml; documents load on use."""
    root = Path(root)
    voc_path = root / "vocabulary.yaml"
    if not voc_path.is_file():
        raise UsageError(
            f"{root} is not a knowledge base: {voc_path} is missing",
            Location(str(root)),
            value=str(root),
            hint="point --kb at the kb/ folder of an oerlog checkout",
            example="oerlog --kb kb docs",
        )
    kb = KnowledgeBase(root, load_vocabulary(voc_path))
    errors: list[OerlogError] = []
    # a folder whose name starts with "." is not a document (``oerlog import`` builds one there before moving it)
    for folder in sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / "document.yaml").is_file()
    ):
        try:
            meta = _load_meta(folder / "document.yaml")
        except OerlogError as exc:
            errors.append(exc)
            continue
        doc_id = str(meta["id"])
        if doc_id in kb.folders:
            errors.append(ValidationError(f"document id {doc_id} used twice", Location(str(folder / "document.yaml"))))
            continue
        kb.folders[doc_id] = folder
        kb.metas[doc_id] = meta
    scope_path = root / "scope.dl"
    if scope_path.is_file():
        try:
            kb.scope = parse_file(scope_path)
            checks.raise_all(checks.check_program(kb.scope, kb.vocabulary.input_arities()))
            type_errors: list[OerlogError] = list(infer_program_types(kb.scope, kb.input_types).errors)
            checks.raise_all(type_errors)
        except checks.ProgramErrors as exc:
            errors.extend(exc.errors)
        except OerlogError as exc:
            errors.append(exc)
    checks.raise_all(errors)
    return kb


def load_kb(root: Path | str) -> KnowledgeBase:
    """Open a KB folder and load and check every document. Raises located errors (all at once where possible)."""
    kb = open_kb(root)
    _ = kb.documents
    return kb


def _load_meta(meta_path: Path) -> dict[str, Any]:
    meta = yamlpos.load(meta_path)
    if not isinstance(meta, yamlpos.YDict):
        raise ValidationError("document.yaml must be a mapping", Location(str(meta_path)), example="id: my-doc")
    for key in ("id", "title", "kind", "academic_year"):
        if key not in meta:
            raise ValidationError(
                f"document.yaml lacks '{key}'",
                meta.loc,
                hint="required: id, title, kind, academic_year",
                example="id: uu-gnk-ba-2025",
            )
    if meta["kind"] not in KINDS:
        raise ValidationError(
            f"unknown document kind {meta['kind']!r}",
            meta.locs["kind"],
            value=meta["kind"],
            hint="kind is one of " + ", ".join(KINDS),
        )
    for key in ("valid_from", "valid_to"):
        if key in meta and meta[key] is not None and not isinstance(meta[key], dt.date):
            raise ValidationError(
                f"{key} must be a date", meta.locs[key], value=meta[key], example=f"{key}: 2025-09-01"
            )
    return dict(meta)


def _load_document(folder: Path, kb: KnowledgeBase) -> Document:
    meta = _load_meta(folder / "document.yaml")
    doc_id = str(meta["id"])
    articles = _load_articles(folder / "articles.yaml")
    program = ir.Program()
    errors: list[OerlogError] = []
    for dl in sorted(folder.glob("*.dl")):
        try:
            program.extend(parse_file(dl, document=doc_id))
        except OerlogError as exc:
            errors.append(exc)
    checks.raise_all(errors)
    voc = kb.vocabulary
    program.open_relations = frozenset(n for n, r in voc.relations.items() if r.is_open)
    errors = checks.check_program(program, voc.input_arities(), voc.concept_arities())
    errors.extend(checks.check_open_atoms(program))
    for p in program.params:
        shared = voc.parameters.get(p.name)
        if shared and shared[0] != p.type:
            errors.append(
                DefinitionError(
                    f"parameter {p.name} is a shared parameter of type {shared[0]}, declared here as {p.type}",
                    p.loc,
                    value=p.type,
                    hint=f"shared parameters keep one type everywhere: {shared[1]}",
                    example=f"param {p.name} : {shared[0]} = ...",
                )
            )
    checks.raise_all(errors)
    return Document(doc_id, folder, meta, articles, program, kb)


def _text(v: Any) -> str:
    return " ".join(str(v).split()) if v is not None else ""


def _load_articles(path: Path) -> dict[str, Article]:
    data = yamlpos.load(path)
    if not isinstance(data, yamlpos.YDict) or not isinstance(data.get("articles"), yamlpos.YDict):
        raise ValidationError(
            "articles.yaml must have a mapping 'articles'",
            Location(str(path)),
            example='articles:\n  "5.1":\n    title: Herkansing\n    lids:\n      "1": "..."',
        )
    out: dict[str, Article] = {}
    block = data["articles"]
    for key, spec in block.items():
        loc = block.locs[key]
        if not isinstance(spec, yamlpos.YDict):
            raise ValidationError(f"article {key} must be a mapping", loc, value=key)
        status = str(spec.get("status") or "not_encoded")
        if status not in STATUSES:
            raise ValidationError(
                f"article {key}: unknown status {status!r}",
                spec.locs.get("status", loc),
                value=status,
                hint="status is one of " + ", ".join(STATUSES),
            )
        reason = spec.get("reason")
        if status == "not_computable" and not reason:
            raise ValidationError(
                f"article {key} is not_computable but gives no reason",
                loc,
                value=key,
                example='reason: "procedural: describes who sends the invitation"',
            )
        title, section = _text(spec.get("title")), _text(spec.get("section"))
        lids: dict[str, Provision] = {}
        raw_lids = spec.get("lids") or yamlpos.YDict()
        if not isinstance(raw_lids, yamlpos.YDict):
            raise ValidationError(f"article {key}: 'lids' must be a mapping", spec.locs["lids"])
        for lid, ltext in raw_lids.items():
            lstatus, lreason = status, reason
            if isinstance(ltext, yamlpos.YDict):
                lstatus = str(ltext.get("status") or status)
                lreason = ltext.get("reason") or reason
                if lstatus not in STATUSES:
                    raise ValidationError(
                        f"article {key} lid {lid}: unknown status {lstatus!r}",
                        raw_lids.locs[lid],
                        value=lstatus,
                    )
                ltext = ltext.get("text")
            lids[str(lid)] = Provision(
                str(key), str(lid), _text(ltext), title, section, lstatus, str(lreason) if lreason else None
            )
        out[str(key)] = Article(
            str(key),
            title,
            section,
            _text(spec.get("text")),
            lids,
            status,
            str(reason) if reason else None,
            loc,
        )
    return out


def check_citations(doc: Document) -> list[OerlogError]:
    """Every @cite of every rule and parameter resolves to an article (and lid) that exists."""
    errors: list[OerlogError] = []
    items: list[tuple[ir.Annotations, Location | None]] = [(r.ann, r.loc) for r in doc.program.rules]
    items += [(p.ann, p.loc) for p in doc.program.params]
    for ann, loc in items:
        for c in ann.cites:
            if doc.provision(c) is not None:
                continue
            target = doc.kb.loaded_or_none(c.doc) if c.doc else doc
            if target is None:
                hint = "known documents (that load): " + ", ".join(doc.kb.document_ids)
            elif c.article not in target.articles:
                hint = (
                    "articles: " + ", ".join(list(target.articles)[:12]) + (" ..." if len(target.articles) > 12 else "")
                )
            else:
                hint = f"lids of art. {c.article}: " + ", ".join(target.articles[c.article].lids) or "(none)"
            errors.append(
                CitationError(
                    f"citation {c} does not resolve in {c.doc or doc.id}",
                    c.loc or loc,
                    value=str(c),
                    hint=hint,
                    example='@cite("A.5", "1")',
                )
            )
    return errors
