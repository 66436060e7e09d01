"""Accept files (``oerlog check --accept FILE``): reviewed findings, each listed by its stable id with the reason
it was accepted."""

from __future__ import annotations

from pathlib import Path

from oerlog.analysis.consistency.findings import Report
from oerlog.errors import Location, ValidationError
from oerlog.kb import yamlpos

ACCEPT_EXAMPLE = '- {id: div-1a2b3c4d5e, reason: "the two programmes differ on purpose"}'


def load_accepted(path: Path) -> dict[str, str]:
    """Read an ``--accept`` file: a YAML list of ``{id, reason}``; every entry needs a reason."""
    data = yamlpos.load(path)
    if data is None:
        return {}
    if not isinstance(data, yamlpos.YList):
        raise ValidationError(
            "an accept file is a YAML list of {id, reason}", Location(str(path), 1, 1), example=ACCEPT_EXAMPLE
        )
    out: dict[str, str] = {}
    for i, item in enumerate(data):
        loc = data.locs[i]
        if not isinstance(item, yamlpos.YDict) or "id" not in item:
            raise ValidationError("each accepted finding needs an 'id'", loc, value=item, example=ACCEPT_EXAMPLE)
        if not str(item.get("reason") or "").strip():
            raise ValidationError(
                f"accepted finding {item['id']} gives no reason",
                loc,
                value=item["id"],
                hint="say why the finding was reviewed and accepted",
                example=ACCEPT_EXAMPLE,
            )
        out[str(item["id"])] = str(item["reason"])
    return out


def apply_accepted(report: Report, accepted: dict[str, str]) -> None:
    """Mark accepted findings; list acceptances that match no finding any more."""
    ids = {f.id for f in report.findings}
    for f in report.findings:
        f.accepted = accepted.get(f.id)
    report.stale_acceptances = sorted(set(accepted) - ids)
