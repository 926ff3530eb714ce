"""Small talk: is a whole message only a greeting, thanks, a laugh, an "ok", emoji...?

Read from `data/smalltalk.yaml` (organisers extend it), validated like the knowledge base:
every problem with its file, line and intent, all at once. Pure: no Telegram, no store.

A message is small talk only when every part of it is a pattern or a particle of the file.
"สวัสดีค่ะ" is; "สวัสดีค่ะ ปลูกผักสมัครยังไง" is not, and goes on to the matcher. Thai has no
spaces between words, so the message is covered by patterns like a word break, not split.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb.loader import Problem
from kb.thai import normalize

ID_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
INTENT_KEYS = frozenset({"id", "patterns", "replies", "any_emoji"})
ROOT_KEYS = frozenset({"particles", "intents"})
MAX_REPLY = 300  # characters: a reply stays a line or two on a small phone
MAX_REPLY_LINES = 3
# Longer messages are questions, whatever they start with; this also bounds the cover search.
MAX_LENGTH = 80

# What rides on an emoji without changing it: variation selectors, the zero-width joiner,
# skin tones, the keycap mark. 🙏🏽 is 🙏, ❤️ is ❤.
_EMOJI_MODIFIERS = re.compile("[\ufe0e\ufe0f\u200d\u20e3\U0001f3fb-\U0001f3ff]")
_LATIN = re.compile(r"[a-z0-9]")
# A Latin syllable said again (hahaha, hehe, byebye): said once. Two letters at least, so the
# doubled letters of a word (good, cool) stay.
_LATIN_REPEAT = re.compile(r"([a-z]{2,4}?)\1+")


class SmallTalkError(Exception):
    """The small-talk file is invalid; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    replies: tuple[str, ...]
    line: int

    def reply(self, turn: int) -> str:
        """The reply for the resident's `turn`-th message of this kind: in turn, so a
        resident who thanks twice is not answered word for word the same."""
        return self.replies[turn % len(self.replies)]


@dataclass(frozen=True, slots=True)
class Reading:
    """A message read as small talk: the intent it mostly is, and its normalised form."""

    intent: Intent
    key: str


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So"


def split(text: str) -> tuple[list[str], list[str]]:
    """(words, emoji) of a text as small talk compares it: words normalised the way the
    matcher normalises them (case, Thai digits, zero-width and repeated letters ค่าาาา, ๆ,
    punctuation), Latin syllables said again said once; emoji without their modifiers."""
    emoji: list[str] = []
    rest: list[str] = []
    for char in _EMOJI_MODIFIERS.sub("", unicodedata.normalize("NFC", text)):
        if _is_emoji(char):
            if not emoji or emoji[-1] != char:  # 🙏🙏🙏 is 🙏
                emoji.append(char)
            rest.append(" ")
        else:
            rest.append(char)
    words = [_LATIN_REPEAT.sub(r"\1", w) for w in normalize("".join(rest)).split()]
    return words, emoji


def _key(words: list[str]) -> tuple[str, frozenset[int]]:
    """The words joined without spaces, and where a cut may fall: anywhere in Thai, but
    inside a Latin word or a number only where a space was (ok|ay is not "ok" + "ay")."""
    joined = "".join(words)
    cuts = {0, len(joined)}
    at = 0
    for word in words:
        for i in range(1, len(word)):
            if not (_LATIN.match(word[i - 1]) and _LATIN.match(word[i])):
                cuts.add(at + i)
        at += len(word)
        cuts.add(at)
    return joined, frozenset(cuts)


@dataclass(frozen=True)
class SmallTalk:
    """The patterns of every intent, and the particles that may pad them."""

    intents: tuple[Intent, ...]
    # Joined pattern text -> intent id; "" for a particle. A particle that is also a pattern
    # (ค่ะ, เจ้า) is read as a particle, unless the message is nothing else.
    words: dict[str, str]
    alone: dict[str, str]  # particle -> the intent it is when the message is only particles
    emoji: dict[str, str]
    any_emoji: str | None
    source: str

    def intent(self, intent_id: str) -> Intent:
        return next(i for i in self.intents if i.id == intent_id)

    def read(self, text: str) -> Reading | None:
        """The message as small talk, or None when any part of it is something else."""
        if len(text) > MAX_LENGTH * 2:
            return None
        words, emoji = split(text)
        joined, cuts = _key(words)
        if len(joined) > MAX_LENGTH:
            return None
        weights: Counter[str] = Counter()
        order: dict[str, int] = {}
        for e in emoji:
            found = self.emoji.get(e, self.any_emoji)
            if found is None:
                return None
            weights[found] += 1
            order.setdefault(found, len(order))
        pieces = self._cover(joined, cuts)
        if pieces is None:
            return None
        for piece in pieces:
            intent_id = self.words[piece]
            if intent_id:
                weights[intent_id] += len(piece)
                order.setdefault(intent_id, len(order))
        if not weights:  # only particles: "ค่ะ", "เจ้า"
            for piece in pieces:
                if piece in self.alone:
                    weights[self.alone[piece]] += len(piece)
                    order.setdefault(self.alone[piece], len(order))
        if not weights:
            return None
        best = max(weights, key=lambda i: (weights[i], -order[i]))
        return Reading(self.intent(best), joined + "".join(emoji))

    def _cover(self, joined: str, cuts: frozenset[int]) -> list[str] | None:
        """Patterns and particles that make up `joined` exactly, the most of it patterns
        (fewest pieces on a tie); None when no such cover exists."""
        if not joined:
            return []
        longest = max(map(len, self.words))
        # best[i]: (characters in patterns, -pieces, start of the last piece) for joined[:i]
        best: list[tuple[int, int, int] | None] = [None] * (len(joined) + 1)
        best[0] = (0, 0, 0)
        for end in sorted(cuts):
            for start in range(max(0, end - longest), end):
                here = best[start]
                if here is None or start not in cuts:
                    continue
                piece = joined[start:end]
                intent_id = self.words.get(piece)
                if intent_id is None:
                    continue
                score = (here[0] + (len(piece) if intent_id else 0), here[1] - 1, start)
                current = best[end]
                if current is None or score[:2] > current[:2]:
                    best[end] = score
        if best[len(joined)] is None:
            return None
        pieces: list[str] = []
        end = len(joined)
        while end > 0:
            step = best[end]
            assert step is not None
            pieces.append(joined[step[2] : end])
            end = step[2]
        return pieces[::-1]

    def shadowing(self, phrasings: list[str]) -> list[tuple[str, str]]:
        """(phrasing, intent) for knowledge-base phrasings that would be read as small talk
        and so never reach the matcher."""
        found = []
        for phrasing in phrasings:
            reading = self.read(phrasing)
            if reading is not None:
                found.append((phrasing, reading.intent.id))
        return found


# --------------------------------------------------------------------------- loading
def load_smalltalk(path: str | Path) -> SmallTalk:
    """Load and validate the small-talk file; raise SmallTalkError listing every problem."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SmallTalkError([Problem(name, 0, None, f"cannot read file: {exc}")]) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = f"YAML syntax error: {getattr(exc, 'problem', exc)}"
        raise SmallTalkError([Problem(name, line, None, problem)]) from exc
    return _Reader(name).read(root)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.words: dict[str, str] = {}
        self.where: dict[str, tuple[str, int]] = {}  # pattern -> (intent, line) first seen
        self.alone: dict[str, str] = {}
        self.emoji: dict[str, str] = {}
        self.particles: dict[str, int] = {}

    def problem(self, node: yaml.Node | None, intent: str | None, message: str) -> None:
        line = _line(node) if node is not None else 0
        self.problems.append(Problem(self.name, line, intent, message))

    def read(self, root: yaml.Node | None) -> SmallTalk:
        if not isinstance(root, yaml.MappingNode):
            self.problem(root, None, "expected a mapping with 'particles:' and 'intents:'")
            raise SmallTalkError(self.problems)
        fields: dict[str, yaml.Node] = {}
        for key, value in root.value:
            if key.value not in ROOT_KEYS:
                self.problem(key, None, f"unknown key {key.value!r} (expected particles, intents)")
            fields[key.value] = value
        for value in self._strings(fields.get("particles"), None, "particles", root):
            words, emoji = split(value.value)
            if emoji or not words:
                self.problem(value, None, f"particle {value.value!r} must be words")
                continue
            self.particles.setdefault("".join(words), _line(value))
        intents_node = fields.get("intents")
        intents: list[Intent] = []
        any_emoji: str | None = None
        if not isinstance(intents_node, yaml.SequenceNode) or not intents_node.value:
            self.problem(intents_node or root, None, "'intents:' must be a list of intents")
        else:
            seen: dict[str, int] = {}
            for node in intents_node.value:
                intent, wants_any = self._intent(node, seen)
                if intent is None:
                    continue
                intents.append(intent)
                if wants_any:
                    if any_emoji is not None:
                        self.problem(node, intent.id, f"any_emoji is already on {any_emoji!r}")
                    else:
                        any_emoji = intent.id
        for particle in self.particles:
            if particle in self.words:  # ค่ะ alone is "ok"; after สวัสดี it is politeness
                self.alone[particle] = self.words[particle]
            self.words[particle] = ""
        if self.problems:
            raise SmallTalkError(self.problems)
        return SmallTalk(tuple(intents), self.words, self.alone, self.emoji, any_emoji, self.name)

    def _strings(
        self, node: yaml.Node | None, intent: str | None, field: str, parent: yaml.Node
    ) -> list[yaml.ScalarNode]:
        if node is None:
            self.problem(parent, intent, f"missing '{field}:'")
            return []
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.problem(node, intent, f"'{field}:' must be a non-empty list of text")
            return []
        found = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                self.problem(item, intent, f"'{field}:' items must be text")
                continue
            found.append(item)
        return found

    def _intent(self, node: yaml.Node, seen: dict[str, int]) -> tuple[Intent | None, bool]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, None, "an intent must be a mapping with id, patterns, replies")
            return None, False
        fields = {key.value: (key, value) for key, value in node.value}
        id_node = fields.get("id", (None, None))[1]
        intent_id = id_node.value if isinstance(id_node, yaml.ScalarNode) else None
        for key, _ in fields.values():
            if key.value not in INTENT_KEYS:
                self.problem(key, intent_id, f"unknown key {key.value!r}")
        if intent_id is None or not ID_RE.fullmatch(intent_id):
            self.problem(
                id_node or node, intent_id, "'id:' must be lowercase letters, digits and '_'"
            )
            return None, False
        if intent_id in seen:
            self.problem(node, intent_id, f"duplicate id (first at line {seen[intent_id]})")
            return None, False
        seen[intent_id] = _line(node)
        for pattern in self._strings(fields.get("patterns", (None, None))[1], intent_id,
                                     "patterns", node):  # fmt: skip
            self._pattern(pattern, intent_id)
        replies = []
        for reply in self._strings(fields.get("replies", (None, None))[1], intent_id, "replies",
                                   node):  # fmt: skip
            value = str(reply.value).strip()
            if len(value) > MAX_REPLY or value.count("\n") >= MAX_REPLY_LINES:
                self.problem(
                    reply,
                    intent_id,
                    f"reply longer than {MAX_REPLY} characters or {MAX_REPLY_LINES} lines",
                )
                continue
            replies.append(value)
        wants_any = False
        if "any_emoji" in fields:
            flag = fields["any_emoji"][1]
            if not isinstance(flag, yaml.ScalarNode) or flag.value not in ("true", "false"):
                self.problem(flag, intent_id, "'any_emoji:' must be true or false")
            wants_any = flag.value == "true"
        if not replies:
            return None, False
        return Intent(intent_id, tuple(replies), _line(node)), wants_any

    def _pattern(self, node: yaml.ScalarNode, intent_id: str) -> None:
        words, emoji = split(str(node.value))
        if (emoji and words) or len(emoji) > 1:
            self.problem(node, intent_id, f"pattern {node.value!r} must be text or one emoji")
            return
        if not emoji and not words:
            self.problem(node, intent_id, f"pattern {node.value!r} has no letters or emoji")
            return
        table = self.emoji if emoji else self.words
        key = emoji[0] if emoji else "".join(words)
        if len(key) > MAX_LENGTH:
            self.problem(node, intent_id, f"pattern longer than {MAX_LENGTH} characters")
            return
        first = self.where.get(key)
        if first is not None and first[0] != intent_id:
            self.problem(
                node,
                intent_id,
                f"pattern {node.value!r} is also in intent {first[0]!r} (line {first[1]})",
            )
            return
        self.where.setdefault(key, (intent_id, _line(node)))
        table[key] = intent_id


def describe(talk: SmallTalk) -> dict[str, Any]:
    """A short summary for check-kb."""
    patterns = Counter(i for i in talk.words.values() if i) + Counter(talk.emoji.values())
    return {i.id: patterns[i.id] for i in talk.intents}
