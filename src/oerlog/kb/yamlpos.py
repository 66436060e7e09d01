"""YAML loading that remembers where every value came from (line and column), for located errors.

Mappings load as :class:`YDict` and sequences as :class:`YList`; both carry the position and the raw text of
each item, so that a grade written ``5.45`` can be read as the exact decimal the user typed.

Only plain YAML is read: the event stream is checked before any node is built, and anchors and aliases (``&a``,
``*a``: a few hundred bytes of nested aliases expand to gigabytes), explicit tags (``!!python/...``), nesting
deeper than :data:`MAX_DEPTH` and characters YAML does not allow (NUL, ESC ...) are refused with a located error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from oerlog.errors import Location, ValidationError, did_you_mean

MAX_DEPTH = 50  # nested mappings / sequences; oerlog's own files need fewer than 10


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
            key = _scalar(knode, file, ctor) if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)):
                raise ValidationError(
                    "mapping keys must be plain names",
                    _loc(file, knode),
                    value=knode.value if isinstance(knode, yaml.ScalarNode) else None,
                    example="grade: 5.5",
                    nl="de sleutels van een mapping moeten gewone namen zijn",
                )
            k = knode.value if isinstance(key, bool) else str(key)  # `false:` names a section, it is no boolean
            if k in d:
                raise ValidationError(
                    f"key {k!r} appears twice in this mapping",
                    _loc(file, knode),
                    value=k,
                    hint="each key once per record",
                    nl=f"de sleutel {k!r} staat twee keer in deze mapping",
                    hint_nl="elke sleutel één keer per record",
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
    return _scalar(node, file, ctor)


def _scalar(node: yaml.Node, file: str, ctor: _Constructor) -> Any:
    try:
        return ctor.construct_object(node, deep=True)
    except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
        # e.g. an unquoted 2025-02-30: YAML's date resolver fails on a date that does not exist
        raise ValidationError(
            f"{node.value!r} is not a valid value: {exc}",
            _loc(file, node),
            value=node.value,
            hint="dates are written YYYY-MM-DD and must exist",
            example="2025-09-01",
            nl=f"{node.value!r} is geen geldige waarde: {exc}",
            hint_nl="een datum schrijft u als JJJJ-MM-DD en moet bestaan, bijvoorbeeld 2025-11-20",
        ) from None


# what YAML itself allows in a stream (YAML 1.1 "printable"): tab, line ends, and no other control character
_NOT_YAML_TEXT = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
PLAIN_EXAMPLE = "grade: 5.5"
TOO_DEEP = f"the YAML nests deeper than {MAX_DEPTH} levels"
TOO_DEEP_HINT = "oerlog files need a few levels of mappings and lists"
TOO_DEEP_NL = f"de YAML is dieper genest dan {MAX_DEPTH} niveaus"
TOO_DEEP_HINT_NL = "bestanden van oerlog hebben maar een paar niveaus van mappings en lijsten nodig"


def _read(path: Path | str) -> str:
    """The file as UTF-8 text; an undecodable byte is reported at its line and column."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ValidationError(
            f"file not found: {file}", Location(file), value=file, nl=f"bestand niet gevonden: {file}"
        ) from None
    except OSError as exc:
        raise ValidationError(
            f"cannot read {file}: {exc.strerror or exc}",
            Location(file),
            value=file,
            nl=f"{file} kan niet worden gelezen: {exc.strerror or exc}",
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise ValidationError(
            f"{file} is not UTF-8 text: {exc.reason}",
            Location(file, data.count(b"\n", 0, exc.start) + 1, column),
            value=data[exc.start : exc.end],
            hint="save the file as UTF-8",
            example=PLAIN_EXAMPLE,
            nl=f"{file} is geen UTF-8-tekst: {exc.reason}",
            hint_nl="sla het bestand op als UTF-8",
        ) from None


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks


def _text_location(file: str, text: str, pos: int) -> Location:
    breaks = list(_LINE_BREAK.finditer(text, 0, pos))
    line_start = breaks[-1].end() if breaks else 0
    return Location(file, len(breaks) + 1, pos - line_start + 1)


def _check_characters(file: str, text: str) -> None:
    m = _NOT_YAML_TEXT.search(text)
    if m is not None:
        raise ValidationError(
            f"the file holds the control character U+{ord(m.group()):04X}, which a YAML file may not hold",
            _text_location(file, text, m.start()),
            value=m.group(),
            hint="remove it (only tab and line ends are allowed among the control characters)",
            example=PLAIN_EXAMPLE,
            nl=f"het bestand bevat het stuurteken U+{ord(m.group()):04X}, dat niet in een YAML-bestand mag staan",
            hint_nl="verwijder het (van de stuurtekens zijn alleen tab en regeleinden toegestaan)",
        )


def _refuse(
    file: str, event: yaml.Event, message: tuple[str, str], value: str, hint: tuple[str, str]
) -> ValidationError:
    """The error for a refused YAML construct; ``message`` and ``hint`` in English and Dutch."""
    mark = event.start_mark
    loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    return ValidationError(
        message[0], loc, value=value, hint=hint[0], example=PLAIN_EXAMPLE, nl=message[1], hint_nl=hint[1]
    )


def _check_events(file: str, text: str, loader: Any = _LOADER) -> None:
    """Refuse anchors, aliases, explicit tags and deep nesting from the event stream, before any node is built."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise _refuse(
                file,
                event,
                ("YAML aliases (*name) are not allowed", "YAML-aliassen (*naam) zijn niet toegestaan"),
                f"*{event.anchor}",
                ("write the value out where it is needed", "schrijf de waarde uit waar ze nodig is"),
            )
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if not isinstance(event, yaml.NodeEvent):
            continue
        if event.anchor is not None:
            raise _refuse(
                file,
                event,
                ("YAML anchors (&name) are not allowed", "YAML-ankers (&naam) zijn niet toegestaan"),
                f"&{event.anchor}",
                (
                    "remove the anchor and write each value out where it is needed",
                    "verwijder het anker en schrijf elke waarde uit waar ze nodig is",
                ),
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise _refuse(
                file,
                event,
                ("YAML tags are not allowed", "YAML-tags zijn niet toegestaan"),
                str(tag),
                ("write the plain value, without a tag", "schrijf de gewone waarde, zonder tag"),
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse(
                    file, event, (TOO_DEEP, TOO_DEEP_NL), f"nesting level {depth}", (TOO_DEEP_HINT, TOO_DEEP_HINT_NL)
                )


def load(path: Path | str, text: str | None = None) -> Any:
    """Load one YAML document from ``path`` (or from ``text``, reported as ``path``) with positions."""
    file = str(path)
    if text is None:
        text = _read(path)
    _check_characters(file, text)
    try:
        _check_events(file, text)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, met as it scans ahead: find level 51
            _check_events(file, text, yaml.SafeLoader)
            raise ValidationError(
                TOO_DEEP, loc, hint=TOO_DEEP_HINT, example=PLAIN_EXAMPLE, nl=TOO_DEEP_NL, hint_nl=TOO_DEEP_HINT_NL
            ) from None
        raise ValidationError(
            f"YAML syntax error: {exc.problem or exc}",
            loc,
            hint="check indentation and that 'key: value' pairs have a space after the colon",
            example="facts:\n    test_result:\n      - {student: s1, test: vf_2025_1, grade: 5.5}",
            nl=f"syntaxisfout in de YAML: {exc.problem or exc}",
            hint_nl="controleer het inspringen en of er na de dubbele punt van 'sleutel: waarde' een spatie staat",
        ) from None
    except yaml.YAMLError as exc:  # a reader error without a mark
        raise ValidationError(
            f"not a YAML file: {exc}", Location(file), example=PLAIN_EXAMPLE, nl=f"geen YAML-bestand: {exc}"
        ) from None
    if node is None:
        return None
    return _build(node, file, _Constructor())


def check_keys(data: YDict, allowed: Iterable[str], what: str, example: str, what_nl: str | None = None) -> None:
    """Refuse a key of ``data`` that is not ``allowed``, located, with a suggestion and the allowed keys (``what``
    names the mapping, "a case"; ``what_nl`` in Dutch, "een casus")."""
    names = sorted(allowed)
    for k in data:
        if k not in names:
            raise ValidationError(
                f"unknown key {k!r} in {what}",
                data.key_locs[k],
                value=k,
                hint=did_you_mean(k, names) + "keys: " + ", ".join(names),
                example=example,
                nl=f"onbekende sleutel {k!r} in {what_nl or what}",
                hint_nl=did_you_mean(k, names, lang="nl") + "sleutels: " + ", ".join(names),
            )
