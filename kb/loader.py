"""Load and validate the knowledge base (YAML written by hand by organisers).

Every problem is reported with the file, the line and the entry id, and all problems
are collected in one pass so an organiser can fix a file in one go.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import yaml
from yaml.composer import Composer, ComposerError

from kb.model import AUDIENCES, TOPICS, Cost, Entry, Kind, KnowledgeBase

ID_RE = re.compile(r"[a-z0-9-]{1,40}")
REQUIRED = ("id", "kind", "title", "questions", "answer")
OPTIONAL = (
    "keywords",
    "starts",
    "ends",
    "location",
    "capacity",
    "signup",
    "max_people",
    "contact",
    "url",
    "cost",
    "price",
    "audience",
    "online",
    "closed",
    "topic",
)
ALLOWED = frozenset(REQUIRED + OPTIONAL)
_CHUNK = 1 << 20  # bytes decoded at a time


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where} [{self.entry_id}] {self.message}"
            if self.entry_id
            else f"{where} {self.message}"
        )


class KBError(Exception):
    """The knowledge base is invalid; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# libyaml's parser when PyYAML was built with it: ten times faster on a large knowledge base.
try:
    from yaml import CSafeLoader as _Base
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader as _Base  # type: ignore[assignment]


class _Loader(_Base, Composer):
    """Safe loader that keeps dates as strings, so we parse (and report) them ourselves.

    It composes nodes with PyYAML's Python composer from libyaml's events: libyaml's own composer
    only builds a whole document, and the node tree of a 10,000-entry file is 140 MB.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.anchors = {}  # CSafeLoader does not run Composer.__init__

    def compose(self) -> yaml.Node:
        """The next node; no path resolvers are set, so it needs no parent."""
        return cast(yaml.Node, self.compose_node(None, None))  # type: ignore[arg-type]


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


KBPaths = str | Path | Sequence[str | Path]


def kb_files(path: KBPaths) -> list[Path]:
    """The YAML files at `path`: a file, a folder's *.yaml files, or several of either."""
    if not isinstance(path, str | Path):
        return [f for p in path for f in kb_files(p)]
    p = Path(path)
    if p.is_dir():
        return sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
    return [p]


def load_kb(path: KBPaths, tz: tzinfo | None = None) -> KnowledgeBase:
    """Load every YAML file at `path` (a file, a folder, or several: the real knowledge base
    and, for `chat`, the examples); raise KBError listing all problems."""
    tz = tz or ZoneInfo("Asia/Bangkok")
    paths = (path,) if isinstance(path, str | Path) else tuple(path)
    files = kb_files(paths)
    problems: list[Problem] = []
    entries: list[Entry] = []
    if not files or not all(f.exists() for f in files):
        missing = [str(f) for f in files if not f.exists()] or [str(p) for p in paths]
        raise KBError([Problem(m, 0, None, "no knowledge-base file found here") for m in missing])
    seen: dict[str, str] = {}
    for f in files:
        for entry in _load_file(f, tz, problems):
            if entry.id in seen:
                problems.append(
                    Problem(
                        str(f),
                        int(entry.source.rsplit(":", 1)[1]),
                        entry.id,
                        f"duplicate id (first defined at {seen[entry.id]})",
                    )
                )
                continue
            seen[entry.id] = entry.source
            entries.append(entry)
    if problems:
        raise KBError(problems)
    if not entries:
        raise KBError([Problem(str(paths[0]), 0, None, "the knowledge base has no entries")])
    return KnowledgeBase(tuple(entries), str(paths[0]), tuple(str(p) for p in paths))


def _load_file(f: Path, tz: tzinfo, problems: list[Problem]) -> list[Entry]:
    name = str(f)
    try:
        text = _read_text(f)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, 0, None, f"cannot read file: {exc}"))
        return []
    loader = _Loader(text)
    del text  # libyaml parses a UTF-8 copy of its own: ours would only double the memory
    try:
        entries, found = _read_stream(name, loader, tz)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problems.append(
            Problem(name, line, None, f"YAML syntax error: {getattr(exc, 'problem', exc)}")
        )
        return []
    finally:
        loader.dispose()
    problems.extend(found)
    return entries


def _read_text(f: Path) -> str:
    """The file's text as `read_text(encoding="utf-8")` gives it, decoded a megabyte at a time:
    CPython's UTF-8 decoder allocates one slot per input byte, widened to two bytes when it meets
    Thai, so decoding 20 MB at once would peak at 60 MB on top of the bytes."""
    data = f.read_bytes()
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        parts = [decoder.decode(data[i : i + _CHUNK]) for i in range(0, len(data), _CHUNK)]
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        data.decode("utf-8")  # the same error, with its position in the file, not in the chunk
        raise
    del data
    text = "".join(parts)
    return text.replace("\r\n", "\n").replace("\r", "\n")  # the line ends of a text-mode read


def _read_stream(name: str, loader: _Loader, tz: tzinfo) -> tuple[list[Entry], list[Problem]]:
    """Read the file's single document; a syntax error anywhere raises, whatever was found."""
    loader.get_event()  # StreamStartEvent
    if loader.check_event(yaml.StreamEndEvent):
        return [], [Problem(name, 1, None, "file is empty: expected a mapping with 'entries:'")]
    loader.get_event()  # DocumentStartEvent
    found = _read_root(name, loader, tz)
    loader.get_event()  # DocumentEndEvent
    if not loader.check_event(yaml.StreamEndEvent):
        second: Any = loader.get_event()
        raise ComposerError(
            "expected a single document in the stream",
            None,
            "but found another document",
            second.start_mark,
        )
    return found


_Items = Iterable[yaml.Node] | None  # the items of a top-level value, None if it is not a list


def _read_root(name: str, loader: _Loader, tz: tzinfo) -> tuple[list[Entry], list[Problem]]:
    start = loader.peek_event()
    pairs: Iterable[tuple[yaml.Node, _Items]]
    if isinstance(start, yaml.MappingStartEvent) and start.anchor is None:
        loader.get_event()
        root_line = _line(start)
        pairs = _streamed_pairs(loader)
    else:  # not a mapping, or an anchored one that may be aliased from inside itself
        root = loader.compose()
        if not isinstance(root, yaml.MappingNode):
            return [], [Problem(name, _line(root), None, "expected a mapping with 'entries:'")]
        root_line = _line(root)
        pairs = ((k, v.value if isinstance(v, yaml.SequenceNode) else None) for k, v in root.value)
    top: list[Problem] = []
    listed: list[Problem] | None = None  # the entries' problems, None if 'entries:' is no list
    out: list[Entry] = []
    for key, items in pairs:
        if key.value != "entries":
            top.append(Problem(name, _line(key), None, f"unknown top-level key '{key.value}'"))
        elif items is None:
            listed = None
        else:  # a second 'entries:' replaces the first, as the last of duplicate keys wins
            listed, out = [], []
            for item in items:
                entry = _entry(name, item, loader, tz, listed)
                # The constructor caches values by node, which would keep every entry's nodes.
                loader.constructed_objects.clear()
                if entry is not None:
                    out.append(entry)
    if listed is None:
        return [], [*top, Problem(name, root_line, None, "'entries:' must be a list of entries")]
    return out, top + listed


def _streamed_pairs(loader: _Loader) -> Iterator[tuple[yaml.Node, _Items]]:
    """The root mapping's keys and values; the items of 'entries:' are composed one by one as
    they are asked for, so only one entry's nodes exist at a time."""
    while not loader.check_event(yaml.MappingEndEvent):
        key = loader.compose()
        start = loader.peek_event()
        if key.value == "entries" and isinstance(start, yaml.SequenceStartEvent):
            if start.anchor is not None:  # aliasing the list needs all of it
                yield key, loader.compose().value
                continue
            loader.get_event()
            items = _streamed_items(loader)
            yield key, items
            deque(items, maxlen=0)  # whatever the caller left unread
        else:
            # Composed even when unused, for the anchors entries may alias.
            value = loader.compose()
            yield key, value.value if isinstance(value, yaml.SequenceNode) else None
    loader.get_event()  # MappingEndEvent


def _streamed_items(loader: _Loader) -> Iterator[yaml.Node]:
    while not loader.check_event(yaml.SequenceEndEvent):
        yield loader.compose()
    loader.get_event()  # SequenceEndEvent


def _line(item: yaml.Node | yaml.Event) -> int:
    mark: Any = item.start_mark  # every parser sets it, though the stubs allow None
    return int(mark.line) + 1


def _entry(
    name: str, node: yaml.Node, loader: _Loader, tz: tzinfo, problems: list[Problem]
) -> Entry | None:
    line = _line(node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(name, line, None, "each entry must be a mapping (id:, kind:, ...)"))
        return None
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, value in node.value:
        k = str(key.value)
        if k in raw:
            problems.append(Problem(name, _line(key), None, f"key '{k}' given twice"))
        try:
            raw[k] = loader.construct_object(value, deep=True)
        except yaml.YAMLError as exc:
            problems.append(Problem(name, _line(value), None, f"bad value for '{k}': {exc}"))
            raw[k] = None
        lines[k] = _line(key)

    return _validate(raw, lines, name, line, tz, problems)


def entry_from_fields(fields: Mapping[str, Any], source: str, tz: tzinfo) -> Entry:
    """An entry from its fields as the YAML files write them (dates as ISO 8601 text), with
    the files' rules: entries made in Telegram pass the same checks as `check-kb`. Raises
    KBError naming `source` and the entry."""
    problems: list[Problem] = []
    entry = _validate(dict(fields), {}, source, 0, tz, problems)
    if entry is None:
        raise KBError(problems)
    return entry


def entry_fields(entry: Entry) -> dict[str, Any]:
    """The fields the YAML files would write for `entry` (the inverse of
    `entry_from_fields`): defaults left out, dates as ISO 8601 text."""
    out: dict[str, Any] = {
        "id": entry.id,
        "kind": entry.kind.value,
        "title": entry.title,
        "questions": list(entry.questions),
        "answer": entry.answer,
    }
    optional: dict[str, Any] = {
        "keywords": list(entry.keywords),
        "starts": entry.starts.isoformat() if entry.starts else None,
        "ends": entry.ends.isoformat() if entry.ends else None,
        "location": entry.location,
        "signup": entry.signup,
        "capacity": entry.capacity,
        "max_people": entry.max_people if entry.max_people != 1 else None,
        "contact": entry.contact,
        "url": entry.url,
        "cost": entry.cost.value if entry.cost else None,
        "price": entry.price,
        "audience": list(entry.audience),
        "online": entry.online,
        "closed": entry.closed,
        "topic": entry.topic,
    }
    out.update({k: v for k, v in optional.items() if v not in (None, False, [])})
    return out


def _validate(
    raw: dict[str, Any],
    lines: dict[str, int],
    name: str,
    line: int,
    tz: tzinfo,
    problems: list[Problem],
) -> Entry | None:
    entry_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    before = len(problems)

    def fail(field: str | None, message: str) -> None:
        problems.append(Problem(name, lines.get(field or "", line), entry_id, message))

    for k in raw:
        if k not in ALLOWED:
            fail(k, f"unknown key '{k}' (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    for k in REQUIRED:
        if raw.get(k) in (None, "", []):
            fail(k if k in raw else None, f"missing required field '{k}'")

    if entry_id is not None and not ID_RE.fullmatch(entry_id):
        fail("id", "id must be lowercase letters, digits and '-', at most 40 characters")
    elif "id" in raw and entry_id is None and raw["id"] is not None:
        fail("id", "id must be text")

    kind = raw.get("kind")
    if kind is not None and kind not in {k.value for k in Kind}:
        fail("kind", f"kind must be one of {', '.join(k.value for k in Kind)} (got '{kind}')")

    def text(field: str) -> str | None:
        v = raw.get(field)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            fail(field, f"'{field}' must be text")
            return None
        s = str(v).strip()
        return s or None

    def text_list(field: str) -> tuple[str, ...]:
        v = raw.get(field)
        if v is None:
            return ()
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str | int | float) for x in v):
            fail(field, f"'{field}' must be a list of texts")
            return ()
        items = tuple(str(x).strip() for x in v if str(x).strip())
        if len(items) != len(v):
            fail(field, f"'{field}' contains an empty item")
        return items

    title, answer = text("title"), text("answer")
    questions, keywords = text_list("questions"), text_list("keywords")
    if "questions" in raw and raw["questions"] not in (None, []) and not questions:
        fail("questions", "questions must contain at least one phrasing")
    location, contact, url = text("location"), text("contact"), text("url")

    def when(field: str) -> datetime | None:
        v = raw.get(field)
        if v is None:
            return None
        try:
            dt = datetime.fromisoformat(str(v))
        except ValueError:
            fail(
                field,
                f"'{field}' is not an ISO 8601 date and time like 2026-12-12T13:00:00+07:00"
                f" (got '{v}')",
            )
            return None
        if "T" not in str(v) and " " not in str(v):
            fail(field, f"'{field}' needs a time too, like 2026-12-12T13:00:00+07:00 (got '{v}')")
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=tz)

    starts, ends = when("starts"), when("ends")
    if ends is not None and starts is None and "starts" not in raw:
        fail("ends", "'ends' given without 'starts'")
    if starts and ends and ends < starts:
        fail("ends", "'ends' is before 'starts'")

    signup = raw.get("signup", False)
    if not isinstance(signup, bool):
        fail("signup", "'signup' must be true or false")
        signup = False
    capacity = raw.get("capacity")
    if capacity is not None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            fail("capacity", "'capacity' must be a whole number")
            capacity = None
        elif capacity <= 0:
            fail("capacity", "'capacity' must be positive")
            capacity = None
        elif not signup:
            fail("capacity", "'capacity' needs 'signup: true'")

    max_people = raw.get("max_people", 1)
    if isinstance(max_people, bool) or not isinstance(max_people, int) or not 1 <= max_people <= 20:
        fail("max_people", "'max_people' must be a whole number from 1 to 20")
        max_people = 1
    elif max_people > 1 and not signup:
        fail("max_people", "'max_people' needs 'signup: true'")

    cost = raw.get("cost")
    if cost is not None and cost not in {c.value for c in Cost}:
        fail("cost", f"'cost' must be one of {', '.join(c.value for c in Cost)} (got '{cost}')")
        cost = None
    price = text("price")
    if price is not None and cost != Cost.PAID.value:
        fail("price", "'price' needs 'cost: paid'")
    audience = text_list("audience")
    for who in audience:
        if who not in AUDIENCES:
            fail("audience", f"unknown audience '{who}' (allowed: {', '.join(AUDIENCES)})")
    online = raw.get("online", False)
    if not isinstance(online, bool):
        fail("online", "'online' must be true or false")
        online = False
    topic = text("topic")
    if topic is not None and topic not in TOPICS:
        fail("topic", f"unknown topic '{topic}' (allowed: {', '.join(TOPICS)})")
    closed = raw.get("closed", False)
    if not isinstance(closed, bool):
        fail("closed", "'closed' must be true or false")
        closed = False
    elif closed and not signup:
        fail("closed", "'closed' needs 'signup: true'")

    if len(problems) > before or entry_id is None or title is None or answer is None:
        return None
    return Entry(
        id=entry_id,
        kind=Kind(str(kind)),
        title=title,
        questions=questions,
        answer=answer,
        keywords=keywords,
        starts=starts,
        ends=ends,
        location=location,
        capacity=capacity,
        signup=signup,
        max_people=max_people,
        contact=contact,
        url=url,
        cost=Cost(cost) if cost is not None else None,
        price=price,
        audience=tuple(dict.fromkeys(audience)),
        online=online,
        closed=closed,
        topic=topic,
        source=f"{name}:{line}",
    )
