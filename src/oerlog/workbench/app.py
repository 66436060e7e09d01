"""The workbench's pages (Starlette, Jinja2 templates with autoescaping, htmx for the parts that update).

Every page calls the public API (:mod:`oerlog.api`); an error in the user's input is shown on the page, located,
never as a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import re
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from oerlog.analysis.consistency.accept import VERDICTS, verdict_words
from oerlog.api import DoesNotHold, Judgement
from oerlog.errors import OerlogError, UsageError
from oerlog.escape import html_text
from oerlog.outputs import write_text
from oerlog.values import format_value
from oerlog.workbench import caseform, graphview, reader
from oerlog.workbench.security import TOKEN_FIELD, TOKEN_HEADER, LocalOnly, inside, token_matches
from oerlog.workbench.state import StoredCase, Workbench

LANGS = ("nl", "en")
MAX_UPLOAD = 2_000_000  # bytes of an uploaded case file
STATUS_ORDER = {"holds": 0, "undetermined": 1, "does_not_hold": 2}

Handler = Callable[[Request], Awaitable[Response]]


def create_app(wb: Workbench) -> Starlette:
    """The ASGI application over ``wb``."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oerlog.workbench", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda s: quote(str(s), safe="")
    env.globals["token"] = wb.token
    env.globals["token_field"] = TOKEN_FIELD
    env.globals["phase_words"] = _phase_words
    env.globals["urlencode"] = lambda d: urlencode({k: v for k, v in d.items() if v not in (None, "")})

    def lang_of(request: Request) -> str:
        lang = request.query_params.get("lang") or request.cookies.get("oerlog_lang") or "nl"
        return lang if lang in LANGS else "nl"

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request)
        html = env.get_template(name).render(
            request_path=request.url.path,
            query=str(request.url.query),
            lang=lang,
            t=_words(lang),
            docs=wb.kb.document_ids,
            **ctx,
        )
        resp = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGS:
            resp.set_cookie("oerlog_lang", lang, samesite="strict", httponly=True)
        return resp

    def problem(request: Request, exc: OerlogError, status: int = 400) -> HTMLResponse:
        lang = lang_of(request)  # the error in the page's language
        return page(request, "error.html", status=status, error=exc.render(lang), message=exc.message_in(lang))

    async def form_of(request: Request) -> FormData:
        form = await request.form(max_part_size=MAX_UPLOAD)
        given = form.get(TOKEN_FIELD)
        header = request.headers.get(TOKEN_HEADER)
        if not (token_matches(given if isinstance(given, str) else None, wb.token) or token_matches(header, wb.token)):
            raise PermissionError("this form was not sent by the workbench's own page (missing or wrong token)")
        return form

    def guarded(fn: Handler) -> Handler:
        async def run(request: Request) -> Response:
            try:
                return await fn(request)
            except PermissionError as exc:
                return PlainTextResponse(f"403 Forbidden: {exc}\n", status_code=403)
            except OerlogError as exc:
                return problem(request, exc)
            except Exception as exc:  # noqa: BLE001 - a bug of ours: said plainly, the traceback to the log only
                traceback.print_exc(file=sys.stderr)
                return page(
                    request,
                    "error.html",
                    status=500,
                    error=f"internal error: {type(exc).__name__}: {exc}",
                    message="Er ging iets mis in de werkbank (please report it)."
                    if lang_of(request) == "nl"
                    else "Something went wrong in the workbench (please report it).",
                )

        return run

    # --- start page and reader ---------------------------------------------------------------------------------

    async def index(request: Request) -> Response:
        rows = []
        for d in wb.kb.document_ids:
            doc = wb.kb.document(d)
            rows.append(
                {
                    "id": d,
                    "title": doc.title,
                    "kind": doc.meta.get("kind", ""),
                    "examples": [p.stem for p in wb.kb.examples(d)],
                }
            )
        return page(request, "index.html", rows=rows, info=wb.info())

    async def read_doc(request: Request) -> Response:
        doc_id = _doc(wb, request.path_params["doc"])
        lang = lang_of(request)
        doc = wb.kb.document(doc_id)
        cov = wb.kb.coverage(doc_id)
        return page(
            request,
            "reader.html",
            doc=doc,
            doc_id=doc_id,
            articles=reader.articles(wb.kb, doc_id, lang, wb.scenarios(doc_id)),
            totals=cov.totals(),
            interpretations=cov.interpretations,
            discretion=cov.discretion,
            show_datalog=request.query_params.get("datalog") == "1",
        )

    async def scenario(request: Request) -> Response:
        doc_id = _doc(wb, request.path_params["doc"])
        index_ = int(request.path_params["index"])
        scs = wb.scenarios(doc_id)
        if not 0 <= index_ < len(scs):
            raise UsageError(
                f"{doc_id} has no scenario {index_}",
                value=index_,
                example=f"/doc/{doc_id}",
                nl=f"{doc_id} heeft geen scenario {index_}",
            )
        sc = scs[index_]
        cid = wb.store(
            StoredCase(sc.case, sc.name, doc=sc.document or doc_id, params=dict(sc.params), origin="scenario")
        )
        return RedirectResponse(f"/answer/{cid}", status_code=303)

    # --- case editor ----------------------------------------------------------------------------------------------

    def editor(
        request: Request,
        st: caseform.FormState,
        errors: list[caseform.FieldError] | None = None,
        *,
        source: str = "",
        saved: str = "",
    ) -> HTMLResponse:
        doc = st.document or request.query_params.get("doc") or ""
        if doc and doc not in wb.kb.document_ids:
            doc = ""
        st = caseform.complete(st, wb.kb)
        rels = caseform.relations_for(wb.kb, doc or None)
        names = {r.name for r in rels}
        extra_rels = [wb.kb.vocabulary.relation(n) for s in caseform.SECTIONS for n in st.records[s] if n not in names]
        rels += [r for r in extra_rels if r is not None]
        errs = errors or []
        return page(
            request,
            "case.html",
            status=422 if errs else 200,
            st=st,
            doc=doc,
            rels=rels,
            kind=caseform.field_kind,
            errors=errs,
            top_errors=[e for e in errs if e.relation is None],
            error_at=lambda s, r, i, f=None: [
                e for e in errs if e.section == s and e.relation == r and e.index == i and (f is None or e.field == f)
            ],
            examples={d: [p.stem for p in wb.kb.examples(d)] for d in wb.kb.document_ids},
            extra_json=json.dumps(st.extra, ensure_ascii=False, default=str),
            files=_case_files(wb),
            source=source,
            saved=saved,
        )

    async def case_new(request: Request) -> Response:
        return editor(request, caseform.FormState(document=request.query_params.get("doc", "")))

    async def case_example(request: Request) -> Response:
        doc_id = _doc(wb, request.path_params["doc"])
        name = request.path_params["name"]
        path = next((p for p in wb.kb.examples(doc_id) if p.stem == name), None)
        if path is None:
            raise UsageError(
                f"{doc_id} has no example case {name!r}",
                value=name,
                example=f"/case?doc={doc_id}",
                nl=f"{doc_id} heeft geen voorbeeldcasus {name!r}",
            )
        st = caseform.from_yaml(path.read_text(encoding="utf-8"), path.name)
        st.document = st.document or doc_id
        return editor(request, st, source=path.name)

    async def case_edit(request: Request) -> Response:
        item = _stored(wb, request.path_params["cid"])
        st = caseform.from_yaml(item.text) if item.text else caseform.from_case(item.case)
        st.document = st.document or (item.doc or "")
        return editor(request, st, source=item.title)

    async def case_load(request: Request) -> Response:
        form = await form_of(request)
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read()
            source = upload.filename
        else:
            name = str(form.get("path") or "")
            path = inside(name, wb.roots, "case file")
            if not path.is_file() or path.suffix not in (".yaml", ".yml"):
                raise UsageError(
                    f"not a case file: {name!r}",
                    value=name,
                    example="cases/anna.yaml",
                    nl=f"geen casusbestand: {name!r}",
                )
            raw = path.read_bytes()
            source = name
        try:
            st = caseform.from_yaml(raw.decode("utf-8"), source)
        except UnicodeDecodeError:
            nl = lang_of(request) == "nl"
            msg = f"{source}: " + ("geen UTF-8-tekstbestand" if nl else "not a UTF-8 text file")
            return editor(request, caseform.FormState(), [caseform.FieldError(msg)])
        except OerlogError as exc:
            loc = exc.location
            where = f"{source}:{loc.line}:{loc.column}: " if loc is not None and loc.line else f"{source}: "
            return editor(
                request,
                caseform.FormState(),
                [caseform.FieldError(where + exc.message_in(lang_of(request)), example=exc.example)],
            )
        return editor(request, st, source=source)

    async def case_judge(request: Request) -> Response:
        form = await form_of(request)
        st = caseform.from_form({k: v for k, v in form.items() if isinstance(v, str)})
        written = caseform.to_yaml(st, wb.kb)
        action = str(form.get("action") or "judge")
        if action == "download":
            filename = _safe_filename(str(form.get("filename") or "case.yaml"))
            return Response(
                written.text,
                media_type="application/x-yaml; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        saved = ""
        if action == "save":  # saved as it is, finished or not (what is not right yet is shown below)
            name = str(form.get("filename") or "").strip()
            target = inside(name if name.endswith((".yaml", ".yml")) else name + ".yaml", [wb.workdir], "file")
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text(target, written.text)
            saved = str(target.relative_to(wb.workdir))
        try:
            case = wb.kb.case_from_yaml(written.text, caseform.FORM_SOURCE)
            if st.document:
                _doc(wb, st.document)
            title = str(
                st.extra.get("title") or form.get("source") or ("casus" if lang_of(request) == "nl" else "case")
            )
            item = StoredCase(case, title, written.text, st.document or None)
            # the document is chosen now (the case's, else the scope rules'), so that an error is shown in the form
            await wb.evaluate(lambda: wb.kb.judge(case, item.doc))
        except OerlogError as exc:
            return editor(request, st, [caseform.locate(exc, written, lang_of(request))], saved=saved)
        if saved:
            return editor(request, st, saved=saved)
        cid = wb.store(item)
        return RedirectResponse(f"/answer/{cid}", status_code=303)

    # --- answer view ------------------------------------------------------------------------------------------------

    async def answer(request: Request) -> Response:
        cid = request.path_params["cid"]
        item = _stored(wb, cid)
        lang = lang_of(request)

        def run() -> tuple[Any, list[Any]]:
            j = _judge(wb, item)
            return j, j.conclusions(lang, everything=True)

        try:
            j, found = await wb.evaluate(run)
        except OerlogError as exc:
            return problem(request, exc)
        concepts = wb.kb.vocabulary.concepts
        conclusions = [c for c in found if c.pred in concepts]
        steps = sorted((c for c in found if c.pred not in concepts), key=lambda c: (c.pred, c.goal))
        decisions = _decisions(wb)
        conclusions.sort(key=lambda c: (STATUS_ORDER[c.status], c.pred not in decisions, c.label, c.goal))
        wanted = request.query_params.get("goal")
        first = next((c for c in conclusions if wanted and c.pred == wanted and c.status != "does_not_hold"), None)
        first = first or next((c for c in conclusions if c.status != "does_not_hold"), None)
        first = first or next(iter(steps), None)
        return page(
            request,
            "answer.html",
            cid=cid,
            item=item,
            j=j,
            conclusions=conclusions,
            steps=steps,
            first=first,
        )

    async def explain(request: Request) -> Response:
        item = _stored(wb, request.path_params["cid"])
        kind = request.path_params["kind"]
        goal = request.query_params.get("goal", "")
        lang = lang_of(request)

        def run() -> str:
            j = _judge(wb, item)
            if kind == "why":
                try:
                    return j.why(goal, lang, undetermined=True).html()
                except DoesNotHold:
                    return j.whynot(goal, lang).html()
            if kind == "whynot":
                return j.whynot(goal, lang).html()
            d = j.appeal(goal, lang=lang)
            # the dossier's counterfactuals in words (each verified by evaluating the changed case); read with
            # getattr: the dossier is being reworked beside this, and its words are the part that may move
            texts = list(getattr(d.data, "counterfactual_texts", None) or []) or [
                "; ".join(c.describe(lang) for c in cf.changes) for cf in d.data.counterfactuals
            ]
            nl = lang == "nl"
            head = "Wat had de uitkomst veranderd" if nl else "What would have changed the outcome"
            if not texts:
                none = (
                    "Geen kleine wijziging van de feiten gevonden die de uitkomst omdraait."
                    if nl
                    else "No small change to the facts was found that turns the outcome around."
                )
                return f"<h1>{_esc(head)}</h1><p>{_esc(none)}</p>"
            intro = (
                "Elk van deze wijzigingen is nagerekend; met een ervan geldt niet meer"
                if nl
                else "Each of these changes was computed again; with any one of them this no longer holds"
            )
            rows = "".join(f"<li>{_esc(text)}</li>" for text in texts)
            return (
                f"<h1>{_esc(head)}</h1><p>{_esc(intro)}: <strong>{_esc(getattr(d.data, 'decision', goal))}</strong></p>"
                f"<ul class='counterfactuals'>{rows}</ul>"
            )

        try:
            html = await wb.evaluate(run)
        except OerlogError as exc:
            html = f"<pre class='error'>{_esc(exc.render(lang))}</pre>"
        return HTMLResponse(html)

    async def dossier(request: Request) -> Response:
        item = _stored(wb, request.path_params["cid"])
        goal = request.query_params.get("goal", "")
        fmt = request.query_params.get("format", "html")
        lang = lang_of(request)

        def run() -> Any:
            j = _judge(wb, item)
            return j.appeal(goal, lang=lang)

        made = await wb.evaluate(run)
        stem = _safe_filename(re.sub(r"[^A-Za-z0-9_-]+", "-", goal).strip("-")[:60] or "dossier")
        if fmt == "pdf":  # the dossier's own PDF (A4, page numbers, the receipt last), as `oerlog appeal` writes it
            data = await wb.evaluate(made.pdf)
            return Response(
                data,
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="dossier-{stem}.pdf"'},
            )
        headers = {"Content-Disposition": f'attachment; filename="dossier-{stem}.html"'}
        if request.query_params.get("view") == "1":
            headers = {}
        return HTMLResponse(await wb.evaluate(made.html), headers=headers)

    # --- graph ----------------------------------------------------------------------------------------------------

    async def graph(request: Request) -> Response:
        doc_id = _doc(wb, request.query_params.get("doc") or wb.kb.document_ids[0])
        focus = request.query_params.get("focus") or None
        depth = int(request.query_params.get("depth") or 2)
        cluster = request.query_params.get("cluster") or None
        inputs = request.query_params.get("inputs") == "1"
        g = wb.kb.graph([doc_id], "predicate", focus, depth)
        if not inputs:  # the facts a case states feed nearly everything: shown on request, listed per concept
            g = g.subgraph([n for n, d in g.nodes(data=True) if d.get("kind") != "input" or d.get("focus")]).copy()
        doc = wb.kb.document(doc_id)
        for _, d in g.nodes(data=True):
            rules = str(d.get("rules") or "").split()
            r = doc.rule(rules[0]) if rules else None
            d["file"] = r.loc.file.rsplit("/", 1)[-1] if r is not None and r.loc else None
        pic = graphview.picture(g, cluster)
        preds = sorted({str(d.get("label")) for _, d in wb.kb.graph([doc_id]).nodes(data=True)})
        return page(
            request,
            "graph.html",
            doc_id=doc_id,
            focus=focus or "",
            depth=depth,
            cluster=cluster or "",
            inputs=inputs,
            pic=pic,
            by_id={b.id: b for b in pic.boxes},
            preds=preds,
            font_px=graphview.FONT_PX,
            max_nodes=graphview.MAX_NODES,
        )

    async def graph_node(request: Request) -> Response:
        doc_id = _doc(wb, request.query_params.get("doc", ""))
        pred = request.query_params.get("pred", "")
        lang = lang_of(request)
        doc = wb.kb.document(doc_id)
        rules = [r for r in doc.program.rules if r.head.pred == pred]
        views = []
        for r in rules:
            provs = [p for p in (doc.provision(c) for c in r.ann.cites) if p is not None]
            views.append({"rule": r, "words": wb.kb.rule_words(doc_id, r.id, lang), "provisions": provs})
        rel = wb.kb.vocabulary.relation(pred)
        return page(request, "graph_node.html", doc_id=doc_id, pred=pred, views=views, rel=rel)

    # --- consistency ------------------------------------------------------------------------------------------------

    async def check_page(request: Request) -> Response:
        return page(request, "check.html", job=None)

    async def check_start(request: Request) -> Response:
        form = await form_of(request)
        docs = [str(d) for d in form.getlist("docs") if str(d) in wb.kb.document_ids]
        budget_text = str(form.get("budget") or "").strip()
        budget = int(budget_text) if budget_text.isdigit() else None
        seed_text = str(form.get("seed") or "0").strip()
        job = wb.jobs.start(
            "check",
            {
                "docs": docs,
                "budget": budget,
                "seed": int(seed_text) if seed_text.isdigit() else 0,
                "lang": lang_of(request),
            },
        )
        return RedirectResponse(f"/check/job/{job.id}", status_code=303)

    async def check_job(request: Request) -> Response:
        job = _job(wb, request.path_params["job"])
        return page(request, "check.html", job=job, **_check_view(job, request))

    async def check_status(request: Request) -> Response:
        job = _job(wb, request.path_params["job"])
        return page(request, "check_status.html", job=job, **_check_view(job, request))

    async def check_accept(request: Request) -> Response:
        form = await form_of(request)
        doc_id = _doc(wb, str(form.get("doc") or ""))
        fid = str(form.get("id") or "")
        lang = lang_of(request)
        verdict = str(form.get("verdict") or "")
        path = wb.kb.accept_finding(
            doc_id, fid, verdict, str(form.get("article") or ""), str(form.get("reason") or ""), lang=lang
        )
        job = wb.jobs.get(str(form.get("job") or ""))
        if job is not None and isinstance(job.result, dict):
            for f in job.result.get("findings", []):
                if f.get("id") == fid:
                    f["accepted"], f["accept_reason"], f["verdict"] = True, str(form.get("reason")), verdict
                    f["verdict_text"] = verdict_words(verdict, lang)
        rel = path.relative_to(wb.kb_path.parent) if path.is_relative_to(wb.kb_path.parent) else path
        return page(request, "accepted.html", fid=fid, path=str(rel))

    async def witness(request: Request) -> Response:
        job = _job(wb, request.path_params["job"])
        fid = request.path_params["fid"]
        finding = next((f for f in (job.result or {}).get("findings", []) if f.get("id") == fid), None)
        if finding is None or not finding.get("witness"):
            raise UsageError(
                f"finding {fid} has no witness case",
                value=fid,
                example="/check",
                nl=f"bevinding {fid} heeft geen getuige-casus",
            )
        w = finding["witness"]
        text = str(w.get("yaml") or "") if isinstance(w, dict) else str(w)
        case = wb.kb.case_from_yaml(text, f"getuige-{fid}.yaml")
        docs = [str(s.get("document")) for s in finding.get("sides", []) if s.get("document")]
        doc = request.query_params.get("doc") or (docs[0] if docs else None)
        cid = wb.store(StoredCase(case, f"getuige {fid}", text, doc, origin="witness"))
        return RedirectResponse(f"/answer/{cid}", status_code=303)

    # --- what-if ------------------------------------------------------------------------------------------------------

    async def whatif_page(request: Request) -> Response:
        doc_id = request.query_params.get("doc") or wb.kb.document_ids[0]
        doc_id = _doc(wb, doc_id)
        params = [
            (p.name, p.type, "" if p.value is None else _param_text(p.value), p.unit)
            for p in wb.kb.document(doc_id).program.params
        ]
        return page(request, "whatif.html", job=None, doc_id=doc_id, params=params, cohorts=_cohorts(wb))

    async def whatif_start(request: Request) -> Response:
        form = await form_of(request)
        doc_id = _doc(wb, str(form.get("doc") or ""))
        decls = {p.name: p for p in wb.kb.document(doc_id).program.params}
        params: dict[str, str] = {}
        for key, value in form.items():
            if key.startswith("param:") and isinstance(value, str) and value.strip():
                name = key[len("param:") :]
                current = decls.get(name)
                if current is not None and value.strip() != _param_text(current.value):
                    params[name] = value.strip().replace(",", ".") if current.type in ("decimal", "grade") else value
        if not params:
            raise UsageError(
                "change at least one parameter",
                example="resit_min_grade = 4,5",
                nl="wijzig ten minste één parameter",
            )
        wb.kb.judge({"facts": {}}, doc_id, params)  # the values are checked now, by their declared types
        generate = str(form.get("generate") or "").strip()
        if generate:
            n = int(generate) if generate.isdigit() else 0
            if not 1 <= n <= 20000:
                raise UsageError(
                    f"generate 1 to 20000 students, not {generate!r}",
                    value=generate,
                    example="200",
                    nl=f"genereer 1 tot en met 20000 studenten, niet {generate!r}",
                )
            data = wb.workdir / "cohorts" / f"{doc_id}-{n}-seed{int(str(form.get('seed') or 0) or 0)}"
        else:
            data = inside(str(form.get("data") or ""), [wb.workdir], "cohort folder", "cohorts/my-export")
            n = 0
        job = wb.jobs.start(
            "whatif",
            {
                "doc": doc_id,
                "data": str(data),
                "params": params,
                "generate": n,
                "seed": int(str(form.get("seed") or "0") or 0) if str(form.get("seed") or "0").isdigit() else 0,
                "lang": lang_of(request),
                "examples": 3,
            },
        )
        return RedirectResponse(f"/whatif/job/{job.id}", status_code=303)

    async def whatif_job(request: Request) -> Response:
        job = _job(wb, request.path_params["job"])
        view = _whatif_view(job, wb, lang_of(request))
        return page(request, "whatif.html", job=job, doc_id=job.args["doc"], params=[], cohorts=[], **view)

    async def whatif_status(request: Request) -> Response:
        job = _job(wb, request.path_params["job"])
        return page(request, "whatif_status.html", job=job, **_whatif_view(job, wb, lang_of(request)))

    async def whatif_student(request: Request) -> Response:
        job = _job(wb, request.path_params["job"])
        student = request.query_params.get("student", "")
        goal = request.query_params.get("goal", "")
        args = job.args
        case = await wb.evaluate(
            lambda: wb.kb.cohort_case(
                args["data"], student, [goal] if goal else (job.result or {}).get("goals", []), doc=args["doc"]
            )
        )
        cid = wb.store(
            StoredCase(
                case, f"{student} ({Path(args['data']).name})", None, args["doc"], dict(args["params"]), "cohort"
            )
        )
        base = wb.store(StoredCase(case, f"{student} ({Path(args['data']).name})", None, args["doc"], {}, "cohort"))
        return RedirectResponse(f"/answer/{cid}?{urlencode({'before': base, 'goal': goal})}", status_code=303)

    async def job_cancel(request: Request) -> Response:
        await form_of(request)
        job = wb.jobs.cancel(request.path_params["job"])
        if job is None:
            raise UsageError(
                "no such job", value=request.path_params["job"], example="/check", nl="deze taak bestaat niet"
            )
        return RedirectResponse(f"/{job.kind}/job/{job.id}", status_code=303)

    routes = [
        Route("/", guarded(index)),
        Route("/doc/{doc}", guarded(read_doc)),
        Route("/doc/{doc}/scenario/{index:int}", guarded(scenario)),
        Route("/case", guarded(case_new)),
        Route("/case/example/{doc}/{name}", guarded(case_example)),
        Route("/case/{cid}/edit", guarded(case_edit)),
        Route("/case/load", guarded(case_load), methods=["POST"]),
        Route("/case/judge", guarded(case_judge), methods=["POST"]),
        Route("/answer/{cid}", guarded(answer)),
        Route("/answer/{cid}/dossier", guarded(dossier)),
        Route("/answer/{cid}/{kind:str}", guarded(explain)),
        Route("/graph", guarded(graph)),
        Route("/graph/node", guarded(graph_node)),
        Route("/check", guarded(check_page)),
        Route("/check/start", guarded(check_start), methods=["POST"]),
        Route("/check/accept", guarded(check_accept), methods=["POST"]),
        Route("/check/job/{job}", guarded(check_job)),
        Route("/check/job/{job}/status", guarded(check_status)),
        Route("/check/job/{job}/witness/{fid}", guarded(witness)),
        Route("/whatif", guarded(whatif_page)),
        Route("/whatif/start", guarded(whatif_start), methods=["POST"]),
        Route("/whatif/job/{job}", guarded(whatif_job)),
        Route("/whatif/job/{job}/status", guarded(whatif_status)),
        Route("/whatif/job/{job}/student", guarded(whatif_student)),
        Route("/job/{job}/cancel", guarded(job_cancel), methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("oerlog.workbench", "static")]), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            wb.close()

    return Starlette(routes=routes, middleware=[Middleware(LocalOnly)], lifespan=lifespan)


# --- helpers --------------------------------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html_text(text)


def _judge(wb: Workbench, item: StoredCase) -> Judgement:
    """Judge a kept case: under the document it names, else the one it was opened for (a scenario's, a witness's,
    a cohort's), else the one the scope rules derive; with the kept parameter overrides."""
    case = item.case
    if item.doc and not case.document:
        case = dataclasses.replace(case, document=item.doc)
    return wb.kb.judge(case, None, item.params or None)


def _decisions(wb: Workbench) -> set[str]:
    """The concepts that are decisions about a student (declared exclusive with another, or in an outcome set):
    shown first."""
    voc = wb.kb.vocabulary
    out = {name for name, rel in voc.concepts.items() if rel.exclusive_with}
    for outcome_set in voc.outcome_sets.values():
        out.update(outcome_set.concepts)
    return out


def _doc(wb: Workbench, doc_id: str) -> str:
    if doc_id not in wb.kb.document_ids:
        raise UsageError(
            f"no document {doc_id!r} in the KB",
            value=doc_id,
            hint="documents: " + ", ".join(wb.kb.document_ids),
            example=wb.kb.document_ids[0] if wb.kb.document_ids else "uu-gnk-ba-2025",
            nl=f"geen document {doc_id!r} in de kennisbank",
            hint_nl="documenten: " + ", ".join(wb.kb.document_ids),
        )
    return doc_id


def _stored(wb: Workbench, cid: str) -> StoredCase:
    item = wb.case(cid)
    if item is None:
        raise UsageError(
            "this case is no longer open (the workbench was restarted, or many cases were opened since)",
            value=cid,
            hint="open it again from the case editor",
            example="/case",
            nl="deze casus is niet meer open (de werkbank is opnieuw gestart, of er zijn sindsdien veel casussen"
            " geopend)",
            hint_nl="open hem opnieuw vanuit de casuseditor",
        )
    return item


def _job(wb: Workbench, job_id: str) -> Any:
    job = wb.jobs.get(job_id)
    if job is None:
        raise UsageError(
            "no such job (the workbench was restarted?)",
            value=job_id,
            example="/check",
            nl="deze taak bestaat niet (is de werkbank opnieuw gestart?)",
        )
    return job


def _safe_filename(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip(".-") or "case"
    return base if base.endswith((".yaml", ".yml", ".html", ".pdf")) or "." in base else base + ".yaml"


def _case_files(wb: Workbench) -> list[str]:
    out: list[str] = []
    for p in sorted(wb.workdir.rglob("*.yaml"))[:200]:
        try:
            inside(str(p), [wb.workdir])
        except UsageError:
            continue  # a symlink out of the working folder is not offered
        out.append(str(p.relative_to(wb.workdir)))
    return out


def _cohorts(wb: Workbench) -> list[str]:
    out: list[str] = []
    for p in sorted(wb.workdir.rglob("*")):
        if p.is_dir() and any(p.glob("*.csv")) or p.suffix in (".duckdb", ".db"):
            try:
                inside(str(p), [wb.workdir])
            except UsageError:
                continue
            out.append(str(p.relative_to(wb.workdir)))
    return out[:100]


def _param_text(v: Any) -> str:
    """A parameter's value as the what-if form shows it: a date as the calendar field takes it (ISO), a decimal with a
    comma, a choice not made as empty."""
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.isoformat()
    return format_value(v, "nl")


def _check_view(job: Any, request: Request) -> dict[str, Any]:
    sev = request.query_params.get("severity", "")
    doc = request.query_params.get("document", "")
    art = request.query_params.get("article", "").strip()
    show_accepted = request.query_params.get("accepted", "") == "1"
    findings = []
    if job.state == "done" and isinstance(job.result, dict):
        for f in job.result.get("findings", []):
            if sev and f.get("severity") != sev:
                continue
            if doc and doc not in f.get("documents", []):
                continue
            if art and art.lower() not in str(f.get("provision", "")).lower():
                continue
            if f.get("accepted") and not show_accepted:
                continue
            findings.append(f)
    filters = {"severity": sev, "document": doc, "article": art, "accepted": "1" if show_accepted else ""}
    nl = request.query_params.get("lang", request.cookies.get("oerlog_lang", "nl")) != "en"
    words = {"error": "fout", "warning": "waarschuwing", "info": "informatie"} if nl else {}
    sev_words = {k: words.get(k, k) for k in ("error", "warning", "info")}
    verdicts = [(v, verdict_words(v, "nl" if nl else "en")) for v in VERDICTS]
    return {"findings": findings, "filters": filters, "verdicts": verdicts, "sev_words": sev_words}


def _whatif_view(job: Any, wb: Workbench, lang: str) -> dict[str, Any]:
    res = job.result if job.state == "done" and isinstance(job.result, dict) else None
    if res is None:
        return {"res": None, "rows": [], "chart": None, "labels": {}}
    rows = [c for c in res.get("counts", []) if c.get("gained") or c.get("lost") or c.get("undetermined_changes")]
    concepts = wb.kb.vocabulary.concepts
    labels = {c: concepts[c].label_in(lang) if c in concepts else c for c in res.get("goals", [])}
    return {"res": res, "rows": rows, "chart": _chart(rows), "labels": labels}


def _chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of gained (right) and lost (left) per conclusion, laid out for an inline SVG."""
    biggest = max([1] + [max(int(r.get("gained", 0)), int(r.get("lost", 0))) for r in rows])
    label_w, half, bar_h = 260, 220, 22
    bars = []
    for i, r in enumerate(rows):
        g, lo = int(r.get("gained", 0)), int(r.get("lost", 0))
        bars.append(
            {
                "y": 30 + i * (bar_h + 8),
                "label": r["conclusion"],
                "gained": g,
                "lost": lo,
                "gw": round(half * g / biggest, 1),
                "lw": round(half * lo / biggest, 1),
            }
        )
    return {
        "bars": bars,
        "label_w": label_w,
        "half": half,
        "bar_h": bar_h,
        "height": 40 + len(rows) * (bar_h + 8),
        "width": label_w + 2 * half + 100,
        "center": label_w + 44 + half,  # the room between the labels and the bars holds the counts of losses
    }


def _phase_words(job: Any, lang: str) -> str:
    """What a background job is doing, for a reader (the library reports its phases by name)."""
    nl = lang == "nl"
    phase = str(job.phase or "")
    if not phase:
        return "de kennisbank laden" if nl else "loading the knowledge base"
    if job.kind == "check":
        return {
            "generate": "scenario's maken" if nl else "making scenarios",
            "evaluate": "scenario's beoordelen" if nl else "judging scenarios",
        }.get(phase, phase)
    if phase == "generate":
        return "cohort genereren" if nl else "generating the cohort"
    if phase.startswith("loading "):
        return ("inlezen: " if nl else "reading: ") + phase[len("loading ") :]
    if phase == "done":
        return "voorbeelden met hun bewijs" if nl else "examples with their proofs"
    return ("berekenen: " if nl else "computing: ") + phase


def _words(lang: str) -> dict[str, str]:
    """The workbench's own words in ``lang``."""
    nl = lang == "nl"
    return {
        "reader": "Regeling" if nl else "Regulation",
        "case": "Casus" if nl else "Case",
        "graph": "Graaf" if nl else "Graph",
        "check": "Consistentie" if nl else "Consistency",
        "whatif": "Wat-als" if nl else "What-if",
        "holds": "geldt" if nl else "holds",
        "does_not_hold": "geldt niet" if nl else "does not hold",
        "undetermined": "onbepaald" if nl else "undetermined",
        "why": "waarom" if nl else "why",
        "whynot": "waarom niet" if nl else "why not",
        "cf": "wat had de uitkomst veranderd" if nl else "what would have changed the outcome",
        "cf_short": "anders?" if nl else "otherwise?",
        "dossier": "maak een dossier" if nl else "make a dossier",
        "judge": "Beoordeel" if nl else "Judge",
        "save": "Opslaan in werkmap" if nl else "Save in working folder",
        "download": "Download YAML" if nl else "Download YAML",
        "add_row": "+ regel" if nl else "+ row",
        "encoded": "gecodeerd" if nl else "encoded",
        "not_computable": "niet berekenbaar" if nl else "not computable",
        "not_encoded": "nog niet gecodeerd" if nl else "not yet encoded",
        "start": "Start" if nl else "Start",
        "cancel": "Stop" if nl else "Cancel",
        "accept": "Accepteer" if nl else "Accept",
        "witness": "open getuige" if nl else "open witness",
        "gained": "erbij" if nl else "gained",
        "lost": "eraf" if nl else "lost",
    }
