"""References in a document's text to articles: found by pattern, resolved against the document (or its
frame OER), and reported when they point to an article or lid that does not exist (``dangling_reference``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from oerlog.analysis.consistency.findings import Finding, Side
from oerlog.analysis.consistency.text import shorten
from oerlog.kb.loader import Document, KnowledgeBase, Provision

ORDINALS = {
    "eerste": "1",
    "tweede": "2",
    "derde": "3",
    "vierde": "4",
    "vijfde": "5",
    "zesde": "6",
    "zevende": "7",
    "achtste": "8",
    "negende": "9",
    "tiende": "10",
}
_ART = r"(?:artikel(?:en)?|art\.?)\s*(?P<art>[A-Z]?\d+(?:\.\d+)*[a-z]?)\.?"
_LID = r"(?:,?\s*(?:lid|leden)\s*(?P<lid>\d+[a-z]?)|,?\s*(?P<ord>" + "|".join(ORDINALS) + r")\s+lid)?"
REF_RE = re.compile(r"\b" + _ART + _LID, re.IGNORECASE)
OWN_LID_RE = re.compile(
    r"\b(?:in|van|onder|uit|bij|zoals bedoeld in|als bedoeld in|bedoeld in)\s+(?:het\s+)?"
    r"(?:lid\s+(?P<lid>\d+[a-z]?)|(?P<ord>" + "|".join(ORDINALS) + r")\s+lid)\b(?!\s*(?:van|,))",
    re.IGNORECASE,
)
EXTERNAL_RE = re.compile(
    r"\b(WHW|wet\b|Wet |Awb|AVG|Wbp|statuut|Reglement|reglement|protocol|Richtlijnen|R&A|R&R|OER|Onderwijs- en "
    r"examenregeling|Regels en Richtlijnen|Universiteit|instellingsregeling|Studentenstatuut|COBEX|CBE|A-deel|B-deel)",
)
SAME_DOC_RE = re.compile(r"\b(deze|dit|dezelfde)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    """A reference to an article found in a provision's text."""

    citing: Provision
    article: str
    lid: str | None
    text: str
    context: str
    target: str  # own | frame


def find_references(doc: Document) -> list[Reference]:
    """References in the document's text to its own articles (or, where the text names the OER, to its frame).
    References qualified by another text (the WHW, a law, a reglement, an OER outside the corpus) are skipped."""
    out: list[Reference] = []
    frame = doc.meta.get("frame")
    for art in doc.articles.values():
        for prov in art.provisions():
            text = prov.text
            for m in REF_RE.finditer(text):
                after = re.split(r"[.;:]\s|\)|\b(?:artikel|art\.)", text[m.end() : m.end() + 70], flags=re.I)[0]
                before = re.split(r"[;:]\s|\.\s+(?=[A-Z])", text[max(0, m.start() - 90) : m.start()])[-1]
                qualifier = after + " " + before
                target = "own"
                if EXTERNAL_RE.search(qualifier) and not SAME_DOC_RE.search(after[:25]):
                    if frame and re.search(r"\bOER\b|Onderwijs- en examenregeling", qualifier, re.IGNORECASE):
                        target = "frame"
                    else:
                        continue
                lid = m.group("lid") or (ORDINALS.get(m.group("ord").lower()) if m.group("ord") else None)
                ctx = text[max(0, m.start() - 40) : m.end() + 30]
                out.append(Reference(prov, m.group("art").rstrip("."), lid, m.group(0), ctx, target))
            if prov.lid is None:
                continue
            for m in OWN_LID_RE.finditer(text):
                lid = m.group("lid") or ORDINALS.get((m.group("ord") or "").lower())
                if lid is None or REF_RE.search(text[max(0, m.start() - 40) : m.start() + 2]):
                    continue
                ctx = text[max(0, m.start() - 40) : m.end() + 30]
                out.append(Reference(prov, art.key, lid, m.group(0), ctx, "own"))
    return out


def resolves(doc: Document, article: str, lid: str | None, citing_article: str) -> bool:
    """Does ``art. article (lid)`` exist in ``doc``? Tries the key as written, and with the citing article's
    bijlage prefix (``3`` inside ``F.2`` is ``F.3``)."""
    keys = [article, article.rstrip(".")]
    prefix = citing_article.split(".")[0] + "." if re.match(r"^[A-Z]+\.", citing_article) else ""
    if prefix and not article.startswith(prefix):
        keys.append(prefix + article)
    for k in keys:
        art = doc.articles.get(k)
        if art is None:
            continue
        if lid is None or not art.lids or lid in art.lids or any(x.startswith(lid) for x in art.lids):
            return True
        return False
    # "artikel 10.1" / "artikel 3.9.3" in the article.lid style: article 10 lid 1, article 3.9 lid 3
    head, _, last = article.rpartition(".")
    if head and lid is None and head in doc.articles:
        return resolves(doc, head, last, citing_article)
    # an article number that is a section ("artikel 5" with articles 5.1, 5.2 ...) resolves
    return any(k.startswith(article + ".") for k in doc.articles)


def dangling_references(kb: KnowledgeBase, d: str, lang: str = "nl") -> list[Finding]:
    """One finding per reference in document ``d``'s text to an article (or lid) that does not exist in it, or
    in its frame OER where the text names the OER; references from provisions marked as external are skipped."""
    out: list[Finding] = []
    doc = kb.documents[d]
    frame = doc.meta.get("frame")
    frame_doc = kb.documents.get(str(frame)) if frame else None
    for ref in find_references(doc):
        if ref.target == "frame" and frame_doc is None:
            continue
        target = frame_doc if ref.target == "frame" and frame_doc else doc
        if resolves(target, ref.article, ref.lid, ref.citing.article):
            continue
        prov = ref.citing
        if prov.status == "not_computable" and (prov.reason or "").startswith("external"):
            continue
        docs = [d] if target is doc else sorted([d, target.id])
        where = f"art. {ref.article}" + (f" lid {ref.lid}" if ref.lid else "")
        of = f" of {target.id}" if target is not doc else ""
        van = f" van {target.id}" if target is not doc else ""
        f = Finding(
            "dangling_reference",
            (
                f"{d} {prov.label} verwijst naar {where}{van}, dat daar niet bestaat"
                if lang == "nl"
                else f"{d} {prov.label} refers to {where}{of}, which does not exist there"
            ),
            docs,
            None,
            [prov.label, ref.text],
            [Side(d, f"“…{ref.context}…”", None, [], [(prov.label, shorten(prov.text))])],
            note=("artikelen van " if lang == "nl" else "articles of ")
            + target.id
            + ": "
            + ", ".join(list(target.articles)[:30]),
        )
        out.append(f)
    return out
