"""The workbench (``oerlog serve``) without a browser: its security (host names, cross-site writes, paths), the case
form against the case reader, located errors in the form, escaping, accepting a finding, the graph's size."""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

import oerlog  # noqa: E402
from oerlog.kb.cases import load_case  # noqa: E402
from oerlog.workbench import caseform, graphview  # noqa: E402
from oerlog.workbench.app import create_app  # noqa: E402
from oerlog.workbench.security import host_name, inside, is_local_host, same_origin  # noqa: E402
from oerlog.workbench.state import Workbench  # noqa: E402

HERE = Path(__file__).parent
BUNDLED = HERE.parent / "kb"
LOCAL = "http://127.0.0.1:8765"
ANNA = "kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="module")
def wb(workdir: Path) -> Workbench:
    w = Workbench(BUNDLED, workdir)
    yield w
    w.close()


@pytest.fixture(scope="module")
def client(wb: Workbench) -> TestClient:
    return TestClient(create_app(wb), base_url=LOCAL, follow_redirects=False)


def form_fields(page: str) -> dict[str, str]:
    """The values a browser would post for the case form of ``page`` (text, date and hidden inputs; selects)."""
    form = page[page.index('id="caseform"') :]
    fields = {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'<input type="(?:text|date|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"', form)
    }
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        m = re.search(r'<option value="([^"]*)" selected', body)
        fields[html.unescape(name)] = html.unescape(m.group(1)) if m else ""
    return fields


# --- safe by default ---------------------------------------------------------------------------------------------


def test_host_names() -> None:
    assert is_local_host("127.0.0.1:8765") and is_local_host("localhost") and is_local_host("[::1]:80")
    assert not is_local_host("evil.example:8765") and not is_local_host("127.0.0.1.evil.example")
    assert host_name("[::1]:8080") == "[::1]" and host_name("LOCALHOST:1") == "localhost"
    assert same_origin("http://127.0.0.1:8765", "127.0.0.1:8765")
    assert not same_origin("http://evil.example", "127.0.0.1:8765")
    assert not same_origin("http://127.0.0.1:9999", "127.0.0.1:8765")


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 still sends its own Host."""
    r = client.get("/", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403 and "127.0.0.1 or localhost only" in r.text
    r = client.post("/case/judge", headers={"Host": "evil.example"}, data={"reference_date": "2025-11-20"})
    assert r.status_code == 403
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200


def test_writes_need_the_token_and_the_same_origin(client: TestClient, wb: Workbench) -> None:
    data = {"reference_date": "2025-11-20", "action": "judge"}
    assert client.post("/case/judge", data=data).status_code == 403  # no token
    assert client.post("/case/judge", data={**data, "_token": "guessed"}).status_code == 403
    r = client.post("/case/judge", data={**data, "_token": wb.token}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "own pages" in r.text
    r = client.post("/case/judge", data={**data, "_token": wb.token}, headers={"Origin": "null"})
    assert r.status_code == 403
    r = client.post("/case/judge", data={**data, "_token": wb.token}, headers={"Referer": "http://evil.example/page"})
    assert r.status_code == 403
    r = client.post("/case/judge", data={**data, "_token": wb.token}, headers={"Origin": LOCAL})
    assert r.status_code in (303, 422)  # accepted as a write: judged (an empty case is refused in the form)
    r = client.post("/check/accept", data={"id": "we-031fa1765b"}, headers={"X-Oerlog-Token": "nope"})
    assert r.status_code == 403


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for url in ("/", "/doc/uu-gnk-ba-2025", "/static/htmx.min.js", "/doc/nope"):
        h = client.get(url).headers
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp, url
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff", url
    assert "content-security-policy" in client.get("/", headers={"Host": "evil.example"}).headers


def test_pages_have_no_inline_script(client: TestClient) -> None:
    for url in ("/", "/doc/uu-gnk-ba-2025", "/case?doc=uu-gnk-ba-2025", "/graph", "/check", "/whatif", "/doc/nope"):
        text = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert not re.search(r"\son[a-z]+=", text) and "javascript:" not in text, url


def test_paths_outside_the_folders_are_refused(
    client: TestClient, wb: Workbench, workdir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text(Path(ANNA).read_text(encoding="utf-8"), encoding="utf-8")
    (workdir / "link.yaml").symlink_to(outside)
    (workdir / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    for name in ("../secret.yaml", str(outside), "link.yaml", "linkdir/secret.yaml", "/etc/passwd", "../../etc/passwd"):
        r = client.post("/case/load", data={"path": name, "_token": wb.token})
        assert r.status_code == 400, name
        assert "outside the folders the workbench may use" in r.text, name
        assert "Traceback" not in r.text
    inside_file = workdir / "cases" / "anna.yaml"
    inside_file.parent.mkdir()
    shutil.copy(ANNA, inside_file)
    r = client.post("/case/load", data={"path": "cases/anna.yaml", "_token": wb.token})
    assert r.status_code == 200 and 'value="vf_bloktoets"' in r.text
    # the symlink out of the working folder is not offered in the list either
    assert "link.yaml" not in client.get("/case").text
    # saving: only inside the working folder
    fields = form_fields(client.get("/case/example/uu-gnk-ba-2025/anna-excluded-low-grade").text)
    for name in ("../escaped.yaml", "linkdir/x.yaml", str(tmp_path / "x.yaml")):
        r = client.post("/case/judge", data={**fields, "action": "save", "filename": name, "_token": wb.token})
        assert r.status_code == 400 and "outside" in r.text, name
    assert not (tmp_path / "x.yaml").exists() and not (workdir.parent / "escaped.yaml").exists()
    # a cohort for a what-if: only inside the working folder
    for name in ("../", "linkdir", str(tmp_path)):
        data = {"doc": "uu-gnk-ba-2025", "data": name, "param:resit_min_grade": "4,5", "_token": wb.token}
        r = client.post("/whatif/start", data=data)
        assert r.status_code == 400 and "outside" in r.text, name
    r = client.post("/case/judge", data={**fields, "action": "save", "filename": "saved/anna", "_token": wb.token})
    assert r.status_code == 200 and (workdir / "saved" / "anna.yaml").is_file()
    kb = oerlog.load_kb(BUNDLED)
    assert kb.case(workdir / "saved" / "anna.yaml").facts == kb.case(ANNA).facts


def test_inside_resolves_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.yaml").write_text("x", encoding="utf-8")
    (root / "out").symlink_to(tmp_path)
    assert inside("ok.yaml", [root]) == (root / "ok.yaml").resolve()
    with pytest.raises(oerlog.OerlogError, match="outside"):
        inside("out/root/../x", [root])
    with pytest.raises(oerlog.OerlogError, match="outside"):
        inside("out", [root])


def test_a_case_naming_other_files_is_refused(client: TestClient, wb: Workbench) -> None:
    text = "reference_date: 2025-11-20\nfacts_files: [../../../etc/passwd]\n"
    r = client.post(
        "/case/load", files={"file": ("x.yaml", text.encode(), "application/x-yaml")}, data={"_token": wb.token}
    )
    assert r.status_code == 200  # loaded into the form (facts_files is not a field of it) ...
    kb = oerlog.load_kb(BUNDLED)
    with pytest.raises(oerlog.OerlogError, match="cannot name other files"):
        kb.case_from_yaml(text, "x.yaml")  # ... and the reader of typed text refuses it


def test_a_file_that_is_not_yaml_is_reported_in_the_form(client: TestClient, wb: Workbench) -> None:
    for name, data, message in (
        ("broken.yaml", b"facts:\n  test_result: [\n", "broken.yaml:3:1: not a YAML case file"),
        ("latin1.yaml", "reference_date: 2025-11-20 # \xe9".encode("latin-1"), "not a UTF-8 text file"),
        ("bad-date.yaml", b"reference_date: 2025-02-30\n", "not a readable case file"),
    ):
        r = client.post(
            "/case/load?lang=en", files={"file": (name, data, "application/x-yaml")}, data={"_token": wb.token}
        )
        assert r.status_code == 422 and message in html.unescape(r.text), name
        assert "Traceback" not in r.text and "internal error" not in r.text


def test_values_from_input_are_escaped(client: TestClient, wb: Workbench) -> None:
    evil = "<img src=x onerror=alert(1)>"
    fields = form_fields(client.get("/case/example/uu-gnk-ba-2025/anna-excluded-low-grade").text)
    fields = {k: (evil if v == "anna" else v) for k, v in fields.items()}
    r = client.post("/case/judge", data={**fields, "action": "judge", "_token": wb.token})
    assert r.status_code == 303, r.text[:2000]
    page = client.get(r.headers["location"]).text
    assert evil not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    goal = re.search(r'hx-get="(/answer/[^"]+/why\?goal=[^"]+)" hx-trigger="load"', page)
    assert goal is not None
    proof = client.get(html.unescape(goal.group(1))).text
    assert evil not in proof and "&lt;img" in proof


# --- the case form -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*/cases/*.yaml")), ids=lambda p: p.stem)
def test_every_example_case_reads_back_the_same_through_the_form(client: TestClient, path: Path) -> None:
    """Example -> form (as the page shows it) -> the form posted -> the case file it makes: the same facts."""
    doc = path.parent.parent.name
    page = client.get(f"/case/example/{doc}/{path.stem}").text
    st = caseform.from_form(form_fields(page))
    kb = oerlog.load_kb(BUNDLED)
    written = caseform.to_yaml(st, kb)
    again = kb.case_from_yaml(written.text, "form")
    original = load_case(path, kb.vocabulary)
    assert again.facts == original.facts
    assert again.reference_date == original.reference_date and again.document == (original.document or doc)
    assert {k: (t.nl, t.en) for k, t in again.names.items()} == {k: (t.nl, t.en) for k, t in original.names.items()}


def test_a_bad_value_is_shown_at_its_field(client: TestClient, wb: Workbench) -> None:
    fields = form_fields(client.get("/case/example/uu-gnk-ba-2025/anna-excluded-low-grade").text)
    grade = next(k for k in fields if k.startswith("facts:test_result:") and k.endswith(":grade"))
    r = client.post("/case/judge?lang=nl", data={**fields, grade: "11,2", "action": "judge", "_token": wb.token})
    assert r.status_code == 422 and "Traceback" not in r.text
    cell = re.search(r'<td class="error">\s*<input[^>]*name="' + re.escape(grade) + r'" value="11,2"', r.text)
    assert cell is not None  # the grade's own cell is marked, its value kept as typed
    assert "test_result.grade: een cijfer ligt tussen 1,0 en 10,0" in r.text  # in the page's language
    assert "a grade must be" not in r.text
    r = client.post("/case/judge?lang=en", data={**fields, grade: "11,2", "action": "judge", "_token": wb.token})
    assert r.status_code == 422 and "test_result.grade: a grade must be between 1.0 and 10.0" in r.text
    date = next(k for k in fields if k.startswith("facts:test:") and k.endswith(":date"))
    r = client.post("/case/judge", data={**fields, date: "2025-02-30", "action": "judge", "_token": wb.token})
    assert r.status_code == 422 and re.search(
        r'<td class="error">\s*<input type="date" name="' + re.escape(date), r.text
    )
    r = client.post("/case/judge", data={**fields, "reference_date": "", "action": "judge", "_token": wb.token})
    assert r.status_code in (303, 422)


def test_the_form_offers_enum_values_with_labels_and_both_languages(client: TestClient) -> None:
    page = client.get("/case?doc=uu-gnk-ba-2025&lang=nl").text
    assert '<option value="regular"' in page and "reguliere toets" in page  # the enum's label
    assert "cijfer" in page and "grade" in page  # Dutch label, the English one beside it
    assert 'type="date"' in page and 'inputmode="decimal"' in page
    en = client.get("/case?doc=uu-gnk-ba-2025&lang=en").text
    assert "regular sitting" in en


def test_download_gives_the_case_file(client: TestClient, wb: Workbench) -> None:
    fields = form_fields(client.get("/case/example/uu-gnk-ba-2025/anna-excluded-low-grade").text)
    r = client.post(
        "/case/judge", data={**fields, "action": "download", "filename": "../../a b.yaml", "_token": wb.token}
    )
    assert r.status_code == 200 and 'filename="a-b.yaml"' in r.headers["content-disposition"]
    kb = oerlog.load_kb(BUNDLED)
    assert kb.case_from_yaml(r.text, "x").facts == kb.case(ANNA).facts
    assert yaml.safe_load(r.text)["document"] == "uu-gnk-ba-2025"


# --- answers, graph, accept -------------------------------------------------------------------------------------------


def test_answer_page_statuses(client: TestClient, wb: Workbench) -> None:
    page = client.get("/case/example/rug-ma-oer-2019/lotte-cum-laude").text
    r = client.post("/case/judge", data={**form_fields(page), "action": "judge", "_token": wb.token})
    answer = client.get(r.headers["location"]).text
    assert 'class="verdict holds"' in answer and 'class="verdict undetermined"' in answer
    assert 'class="verdict does_not_hold"' in answer
    # an undetermined conclusion explains what it waits for
    goal = re.search(r'<tr class="undetermined">.*?hx-get="(/answer/[^"]+/why\?goal=[^"]+)"', answer, re.S)
    assert goal is not None
    waits = client.get(html.unescape(goal.group(1)) + "&lang=nl").text
    assert "onbepaald" in waits and "examencommissie" in waits


def test_a_scenario_opens_in_the_answer_view(client: TestClient, wb: Workbench) -> None:
    reader_page = client.get("/doc/uu-gnk-ba-2025?lang=nl").text
    link = re.search(r'href="(/doc/uu-gnk-ba-2025/scenario/\d+)"', reader_page)
    assert link is not None
    r = client.get(link.group(1))
    assert r.status_code == 303 and r.headers["location"].startswith("/answer/")
    answer = client.get(r.headers["location"]).text
    assert (
        "genoemd in de casus"
        in client.get(
            html.unescape(re.search(r'hx-get="(/answer/[^"]+/why\?goal=[^"]+)" hx-trigger="load"', answer).group(1))
        ).text
    )  # judged under the scenario's document, said as the case naming it
    assert client.get("/doc/uu-gnk-ba-2025/scenario/99999").status_code == 400


def test_why_not_asks_about_the_case_s_student(client: TestClient, wb: Workbench) -> None:
    page = client.get("/case/example/uu-gnk-ba-2025/anna-excluded-low-grade").text
    r = client.post("/case/judge", data={**form_fields(page), "action": "judge", "_token": wb.token})
    answer = client.get(r.headers["location"]).text
    assert "/whynot?goal=resit_invited%28%22anna%22%2C%20C%29" in answer
    why_not = client.get(r.headers["location"] + "/whynot?goal=resit_invited%28%22anna%22%2C%20C%29&lang=nl").text
    assert "anna wordt uitgenodigd voor de herkansing" in why_not and "het is 3,8" in why_not


def test_the_default_graph_is_clustered_beyond_forty_nodes() -> None:
    kb = oerlog.load_kb(BUNDLED)
    g = kb.graph(["rug-ma-oer-2019"])
    assert g.number_of_nodes() > graphview.MAX_NODES
    pic = graphview.picture(g)
    assert pic.clustered and len(pic.boxes) <= graphview.MAX_NODES
    assert sum(len(b.members) for b in pic.boxes) == g.number_of_nodes()
    for box in pic.boxes:  # each group opens with at most MAX_NODES concepts: its own, then its neighbours
        opened = graphview.picture(g, box.data["cluster"])
        assert not opened.clustered and len(opened.boxes) <= graphview.MAX_NODES
        assert {b.label for b in opened.boxes} >= set(box.members[: graphview.MAX_NODES])
    small = kb.graph(["uu-gnk-ba-2025"], focus="resit_excluded", depth=1)
    pic = graphview.picture(small)
    assert not pic.clustered and len(pic.boxes) == small.number_of_nodes() <= graphview.MAX_NODES
    xs = {b.id: b.x for b in pic.boxes}
    assert all(xs[ln.src] < xs[ln.dst] for ln in pic.lines if ln.src != ln.dst and ln.polarity != "exception")


def test_accept_finding_appends_keeps_comments_and_refuses_twice(tmp_path: Path) -> None:
    kb_copy = tmp_path / "kb"
    shutil.copytree(BUNDLED, kb_copy)
    path = kb_copy / "uu-gnk-ba-2025" / "accepted-findings.yaml"
    path.write_text("# reviewed findings\n", encoding="utf-8")
    kb = oerlog.load_kb(kb_copy)
    out = kb.accept_finding("uu-gnk-ba-2025", "we-031fa1765b", "regulation_issue", "A.7 lid 1", "example is wrong")
    assert out == path
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# reviewed findings\n")
    assert yaml.safe_load(text) == [
        {"id": "we-031fa1765b", "verdict": "regulation_issue", "article": "A.7 lid 1", "reason": "example is wrong"}
    ]
    with pytest.raises(oerlog.OerlogError, match="accepted already"):
        kb.accept_finding("uu-gnk-ba-2025", "we-031fa1765b", "regulation_issue", "A.7 lid 1", "again")
    with pytest.raises(oerlog.OerlogError, match="unknown verdict"):
        kb.accept_finding("uu-gnk-ba-2025", "we-0000000000", "fine", "A.7 lid 1", "x")
    with pytest.raises(oerlog.OerlogError, match="gives no reason"):
        kb.accept_finding("uu-gnk-ba-2025", "we-0000000000", "regulation_issue", "A.7 lid 1", "  ")
    with pytest.raises(oerlog.OerlogError, match="not a finding id"):
        kb.accept_finding("uu-gnk-ba-2025", "../../x", "regulation_issue", "A.7 lid 1", "x")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))[0]["id"] == "we-031fa1765b"  # unchanged by refusals


def test_unknown_things_are_pages_not_traces(client: TestClient) -> None:
    for url in (
        "/doc/nope",
        "/answer/c999-000000",
        "/case/example/uu-gnk-ba-2025/nope",
        "/graph?doc=nope",
        "/check/job/check-99",
        "/graph?doc=uu-gnk-ba-2025&focus=nonexistent_pred",
    ):
        r = client.get(url)
        assert r.status_code == 400, url
        assert "Traceback" not in r.text and '<p class="problem">' in r.text, url


def test_a_long_job_shows_progress_and_can_be_cancelled(client: TestClient, wb: Workbench) -> None:
    r = client.post("/check/start", data={"_token": wb.token})  # every document, every scenario: minutes
    assert r.status_code == 303
    job = wb.jobs.get(r.headers["location"].rsplit("/", 1)[1])
    assert job is not None and job.process is not None
    deadline = time.monotonic() + 30
    while not job.process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert job.state == "running" and job.process.is_alive()
    status = client.get(f"/check/job/{job.id}/status").text
    assert "<progress" in status and 'hx-trigger="every 1s"' in status and "/cancel" in status
    r = client.post(f"/job/{job.id}/cancel", data={"_token": wb.token})
    assert r.status_code == 303
    assert job.state == "cancelled" and not job.process.is_alive()
    status = client.get(f"/check/job/{job.id}/status?lang=nl").text
    assert "Gestopt." in status and "hx-trigger" not in status  # no more polling


# --- the command --------------------------------------------------------------------------------------------------


def test_serve_refuses_a_missing_working_folder_and_a_port_in_use(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("--kb", str(BUNDLED), "serve", "--workdir", str(tmp_path / "nope"))
    # serve has no --lang: its errors are in Dutch
    assert r.code == 2 and "bestaat niet" in r.err and "--workdir" in r.err and "Traceback" not in r.err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = cli("--kb", str(BUNDLED), "serve", "--port", str(port), "--workdir", str(tmp_path))
    assert r.code == 2 and f"kan niet luisteren op 127.0.0.1:{port}" in r.err and "--port" in r.err


def test_serve_prints_its_address_binds_loopback_only_and_opens_the_browser(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {
        **os.environ,
        "BROWSER": str(browser),
        "PYTHONPATH": str(HERE.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "oerlog", "--kb", str(BUNDLED), "serve", "--port", "0", "--open", "--workdir",
         str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m is not None, line
        deadline = time.monotonic() + 60  # a loaded test machine
        while not (opened.exists() and opened.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened.read_text(encoding="utf-8").strip() == m.group(0)
        with socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=5):
            pass  # it listens on the loopback address ...
        others = [a for a in _local_addresses() if not a.startswith("127.") and a != "0.0.0.0"]
        for addr in others:  # ... and on no other
            with pytest.raises(OSError), socket.create_connection((addr, int(m.group(1))), timeout=2):
                pass
    finally:
        _stop(proc)


def _local_addresses() -> list[str]:
    """This machine's IPv4 addresses: the host name's, and the one a datagram to the outside would leave from
    (connecting a UDP socket sends nothing)."""
    found: set[str] = set()
    try:
        found |= {str(i[4][0]) for i in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        pass
    for probe in ("192.0.2.1", "10.255.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                found.add(str(s.getsockname()[0]))
        except OSError:
            continue
    return sorted(found)


def test_an_unfinished_case_is_saved_as_it_is_with_its_errors_shown(
    client: TestClient, wb: Workbench, workdir: Path
) -> None:
    fields = form_fields(client.get("/case/example/uu-gnk-ba-2025/anna-excluded-low-grade").text)
    grade = next(k for k in fields if k.endswith(":grade"))
    data = {**fields, grade: "38", "action": "save", "filename": "drafts/anna", "_token": wb.token}
    r = client.post("/case/judge?lang=en", data=data)
    assert r.status_code == 422 and "drafts/anna.yaml" in r.text and "between 1.0 and 10.0" in r.text
    assert 'grade: "38"' in (workdir / "drafts" / "anna.yaml").read_text(encoding="utf-8") or "grade: 38" in (
        workdir / "drafts" / "anna.yaml"
    ).read_text(encoding="utf-8")


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop the server as Ctrl-C would (SIGTERM), and kill it if it has not ended within 30 s (a loaded machine)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
