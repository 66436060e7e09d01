"""YAML loading that remembers where every value came from (line and column), for located errors.

Mappings load as :class:`YDict` and sequences as :class:`YList`; both carry the position and the raw text of
each item, so that a grade written ``5.45`` can be read as the exact decimal the user typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Location, ValidationError


class YDict(dict[str, Any]):
    """A mapping with ``loc`` (its own position), ``locs[key]`` (each value's) and ``raw[key]`` (scalar text)."""

    loc: Location
    locs: dict[str, Location]
    key_locs: dict[str, Location]
    raw: dict[str, str]


class YList(list[Any]):
    """A sequence with ``loc`` and ``locs[i]`` / ``raw[i]`` per item."""

    loc: Location
    locs: list[Location]
    raw: list[str | None]


class _Constructor(yaml.constructor.SafeConstructor):
    pass


# libyaml's parser when PyYAML was built with it (about 10x faster on the articles files)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loc(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: yaml.Node, file: str, ctor: _Constructor) -> Any:
    if isinstance(node, yaml.MappingNode):
        d = YDict()
        d.loc = _loc(file, node)
        d.locs = {}
        d.key_locs = {}
        d.raw = {}
        for knode, vnode in node.value:
            key = ctor.construct_object(knode, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise ValidationError(
                    "mapping keys must be plain names", _loc(file, knode), value=key, example="grade: 5.5"
                )
            k = str(key)
            if k in d:
                raise ValidationError(
                    f"key {k!r} appears twice in this mapping",
                    _loc(file, knode),
                    value=k,
                    hint="each key once per record",
                )
            d[k] = _build(vnode, file, ctor)
            d.locs[k] = _loc(file, vnode)
            d.key_locs[k] = _loc(file, knode)
            if isinstance(vnode, yaml.ScalarNode):
                d.raw[k] = vnode.value
        return d
    if isinstance(node, yaml.SequenceNode):
        lst = YList()
        lst.loc = _loc(file, node)
        lst.locs = []
        lst.raw = []
        for item in node.value:
            lst.append(_build(item, file, ctor))
            lst.locs.append(_loc(file, item))
            lst.raw.append(item.value if isinstance(item, yaml.ScalarNode) else None)
        return lst
    try:
        return ctor.construct_object(node, deep=True)
    except (yaml.constructor.ConstructorError, ValueError) as exc:
        # e.g. an unquoted 2025-02-30: YAML's date resolver fails on a date that does not exist
        raise ValidationError(
            f"{node.value!r} is not a valid value: {exc}",
            _loc(file, node),
            value=node.value,
            hint="dates are written YYYY-MM-DD and must exist",
            example="2025-09-01",
        ) from None


def load(path: Path | str, text: str | None = None) -> Any:
    """Load one YAML document from ``path`` (or from ``text``, reported as ``path``) with positions."""
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValidationError(f"file not found: {file}", Location(file), value=file) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {file}: {exc}", Location(file), value=file) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise ValidationError(
            f"YAML syntax error: {exc.problem or exc}",
            loc,
            hint="check indentation and that 'key: value' pairs have a space after the colon",
            example="facts:\n    test_result:\n      - {student: s1, test: vf_2025_1, grade: 5.5}",
        ) from None
    if node is None:
        return None
    return _build(node, file, _Constructor())
