"""``oerlog serve``: a local web workbench over the public API, for analysts and examencommissie secretaries who
do not use a terminal.

Pages: the regulation reader (:mod:`.reader`), the case editor (:mod:`.caseform`), the answer view with proofs,
why-not, counterfactuals and dossiers, the graph explorer (:mod:`.graphview`), the consistency check and the
what-if, the last two as background jobs (:mod:`.jobs`). The server binds 127.0.0.1 only and refuses foreign
host names, cross-site writes and paths outside the KB and working folders (:mod:`.security`). The web framework
(Starlette, Jinja2, uvicorn) is imported in this subpackage only; htmx is shipped as a static file.
"""

from oerlog.workbench.server import serve

__all__ = ["serve"]
