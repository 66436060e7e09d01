"""Where the knowledge base is when nobody says: ``$OERLOG_KB``, else the nearest ``kb/`` folder with a vocabulary."""

from __future__ import annotations

import os
from pathlib import Path


def default_kb_path(start: Path | None = None) -> Path:
    """``$OERLOG_KB`` if set; else the ``kb/`` folder (holding ``vocabulary.yaml``) of ``start`` (default: the
    working directory) or of its nearest parent that has one; else ``kb`` (which then fails to open, located)."""
    env = os.environ.get("OERLOG_KB")
    if env:
        return Path(env)
    here = start or Path.cwd()
    for base in (here, *here.parents):
        if (base / "kb" / "vocabulary.yaml").is_file():
            return base / "kb"
    return Path("kb")
