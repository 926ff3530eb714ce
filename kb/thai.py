"""Thai text processing for matching: normalisation, segmentation and the lexicon.

Traps this module exists to avoid:
- rapidfuzz's `utils.default_process` strips Thai vowels and tone marks, so it is never used.
- pythainlp's `thai_stopwords()` contains question words (ที่ไหน, เมื่อไร) that tell us what a
  resident wants; our own particle list (data/lexicon.yaml) drops only meaningless words.
- newmm splits unknown names (ตลาดจอมพล, คู่เสี่ยว) into fragments; the tokenizer is built once
  with the knowledge base's own terms in its dictionary.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import InitVar, dataclass, field
from functools import cache
from pathlib import Path

import yaml
from pythainlp.corpus import corpus_path, thai_words
from pythainlp.tokenize import newmm
from pythainlp.util import Trie
from pythainlp.util import normalize as thai_normalize

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_HAS_THAI_DIGIT = re.compile("[๐-๙]")
_DIGIT = re.compile("[0-9]")
# Three or more of the same character is emphasis (ค่าาาา, ดีมากกกก), never spelling.
_REPEATS = re.compile(r"(.)\1\1+")
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # vowels above/below, tone marks, signs
_NEEDS_THAI_NORMALIZE = re.compile(
    f"เเ|([{_MARKS}\u0e30\u0e32\u0e33\u0e45])\\1|\\s[{_MARKS}]|^[{_MARKS}]"
    f"|[\u0e48-\u0e4b][\u0e31\u0e34-\u0e3a]"
)
_NOT_WORD = re.compile(r"[^\u0e01-\u0e4e\u0e50-\u0e59a-z0-9]+")
_RUNS = re.compile(r"[\u0e01-\u0e4e]+|[a-z0-9]+")
THAI_LETTER = re.compile(r"[\u0e01-\u0e4e]")
COMMON_WORD_COUNT = 1000  # in the Thai National Corpus (33 million words)
COMPOUND_RATIO = 0.3  # a compound is at most this frequent relative to its rarest part


class WordCounts:
    """Word counts for a large fixed vocabulary, kept as two sorted C arrays of the words'
    hashes and counts (1 MB for the corpus's 106,000 words; a dict of them holds 15 MB of
    string objects). Hashes are per process, and so is the table: it is built in the
    process that reads it. A 64-bit collision between two of the words is far-fetched."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        table = sorted((hash(word), count) for word, count in pairs)
        self._hashes = array("q", [h for h, _ in table])
        self._counts = array("q", [c for _, c in table])
        self.total = float(sum(self._counts))

    def get(self, word: str) -> int | None:
        key = hash(word)
        i = bisect.bisect_left(self._hashes, key)
        return self._counts[i] if i < len(self._hashes) and self._hashes[i] == key else None

    def count(self, word: str) -> int:
        """How often the word occurs: 0 when the corpus lacks it."""
        return self.get(word) or 0

    def __len__(self) -> int:
        return len(self._hashes)


@cache
def general_frequencies() -> WordCounts:
    """Word counts of the Thai National Corpus (33 million words, shipped with pythainlp).

    Read from the file, not through `pythainlp.corpus.tnc`: that keeps every line of the file
    in a cache for the life of the process (12 MB)."""
    pairs: list[tuple[str, int]] = []
    with open(Path(corpus_path()) / "tnc_freq.txt", encoding="utf-8-sig") as f:
        for line in f:
            word, _, count = line.rstrip("\n").partition("\t")
            if count.strip().isdigit():
                pairs.append((word, int(count)))
    return WordCounts(pairs)


@cache
def thai_verbs() -> frozenset[str]:
    """Words pythainlp's part-of-speech lexicons (UD and ORCHID unigram taggers) call verbs.

    A question's topic is carried by its nouns: a verb the knowledge base never uses (ยื่น,
    จ่าย, พก) is usually a paraphrase, a noun it never uses (โรงพยาบาล) another subject.
    """
    verbs: set[str] = set()
    for name, is_verb in (
        ("pos_ud_unigram-v0.2.json", lambda tag: tag == "VERB"),
        ("pos_orchid_unigram.json", lambda tag: tag.startswith("V")),
    ):
        try:
            with open(Path(corpus_path()) / name, encoding="utf-8-sig") as f:
                tags = json.load(f)
        except (OSError, ValueError):
            continue  # a pythainlp without the file: every word weighs as before
        verbs.update(w for w, tag in tags.items() if isinstance(tag, str) and is_verb(tag))
    return frozenset(verbs)


@cache
def english_frequencies() -> dict[str, float]:
    """Zipf frequencies (log10 per billion words) of common English words, from wordfreq."""
    from wordfreq import get_frequency_dict

    words = get_frequency_dict("en", wordlist="small")
    return {w: math.log10(f) + 9.0 for w, f in words.items() if w.isascii() and w.isalpha()}


def normalize(text: str) -> str:
    """Canonical form of any text before segmentation (Thai and Latin alike)."""
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    # Nikhahit + sara aa is how some keyboards type sara am (ำ).
    text = text.replace("\u0e4d\u0e32", "\u0e33").lower()
    if _HAS_THAI_DIGIT.search(text):  # translate() with a table is slow on Thai text
        text = text.translate(_THAI_DIGITS)
    text = text.replace("ๆ", " ")  # mai yamok repeats the previous word: no new meaning
    text = _REPEATS.sub(r"\1", text)
    # pythainlp's normalize runs dozens of regexes; most text has nothing for it to fix.
    if _NEEDS_THAI_NORMALIZE.search(text):
        text = thai_normalize(text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


_ISAN_NOT = frozenset({"บ่", "บ่อ"})


def _isan_question(words: list[str], lexicon: Lexicon) -> list[str]:
    """Isan บ่ ends a question the way ไหม does (ไปได้บ่ = ไปได้ไหม), while inside a sentence
    it is ไม่ (บ่ได้ไป): the last meaningful word บ่ is read as ไหม."""
    for i in range(len(words) - 1, -1, -1):
        if words[i] in _ISAN_NOT:
            return [*words[:i], "ไหม", *words[i + 1 :]]
        if lexicon.map(words[i]) is not None:
            break
    return words


_YEAR_CUES = frozenset({"ปี", "พ", "ศ", "พศ"})


def _buddhist_years(words: list[str], lexicon: Lexicon) -> list[str]:
    out = []
    for i, word in enumerate(words):
        if word.isdigit() and len(word) == 4 and 1900 <= int(word) <= 2100:
            word = str(int(word) + 543)  # Common Era -> Buddhist Era
        elif word.isdigit() and len(word) == 2 and i > 0:
            before = lexicon.map(words[i - 1]) or words[i - 1]
            if before in _YEAR_CUES or before.endswith(("คม", "ยน", "พันธ์")):
                word = "25" + word  # "ต.ค. 66", "ปี 67": a short Buddhist-Era year
        out.append(word)
    return out


def _same_script(a: str, b: str) -> bool:
    """Whether two adjacent characters belong to one word: both Thai, or both Latin/digits."""
    thai_a, thai_b = bool(THAI_LETTER.match(a)), bool(THAI_LETTER.match(b))
    return thai_a == thai_b and (thai_a or (a.isalnum() and b.isalnum()))


_Trie = dict[str, "_Trie"]


def _longest_of(words: Iterable[str]) -> str:
    """A pattern matching any of the words, the longest where several start at one place.

    Written as a trie ("sign (?:in|up)"), not as one alternative per word: Python's regex
    engine tries alternatives one after another at every position, and this pattern runs
    over every text the knowledge base indexes (three times faster with 160 phrases).
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: _Trie) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if "" in node:  # a word ends here: longer words first (greedy), then this one
            return f"(?:{'|'.join(branches)})?"
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return pattern(trie)


class LexiconError(ValueError):
    pass


@dataclass(frozen=True)
class Lexicon:
    canonical: dict[str, str]  # single-word variant (and canonical itself) -> canonical
    phrases: dict[str, str]  # variant containing a space -> canonical
    particles: frozenset[str]
    path: str = ""

    @property
    def thai_terms(self) -> set[str]:
        return {t for t in self.canonical if THAI_LETTER.search(t)}

    def map(self, token: str) -> str | None:
        """Canonical form of a token, or None when it carries no meaning."""
        canon = self.canonical.get(token, token)
        return None if canon in self.particles or token in self.particles else canon


def load_lexicon(path: str | Path) -> Lexicon:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{p}: cannot read lexicon: {exc}") from exc
    synonyms = data.get("synonyms") or {}
    if not isinstance(synonyms, dict):
        raise LexiconError(f"{p}: 'synonyms' must map a canonical term to a list of variants")
    canonical: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for canon_raw, variants in synonyms.items():
        canon = normalize(str(canon_raw))
        if not isinstance(variants, list):
            raise LexiconError(f"{p}: synonyms of '{canon_raw}' must be a list")
        for v_raw in [canon_raw, *variants]:
            v = normalize(str(v_raw))
            if not v:
                continue
            table = phrases if " " in v else canonical
            if table.get(v, canon) != canon:
                raise LexiconError(
                    f"{p}: '{v_raw}' is listed under both '{table[v]}' and '{canon_raw}'"
                )
            table[v] = canon
    particles = frozenset(normalize(str(x)) for x in data.get("particles") or [])
    return Lexicon(canonical, phrases, particles, str(p))


class WordDictionary(Trie):
    """newmm's dictionary without a trie: pythainlp's `Trie` spends a Python object per
    letter of every word (about 45 MB for its 62,000 words), while newmm only ever asks for
    the words that start at a position. Here the words stay in sets (the dictionary's own
    set is pythainlp's, already in memory) and, per three-letter start, the lengths words
    with that start have: a handful of set lookups per position, the same answers."""

    def __init__(self, base: frozenset[str], extra: Iterable[str] = ()) -> None:
        super().__init__(())
        self._base = base
        self._extra = frozenset(w.strip() for w in extra if w.strip()) - base
        lengths: dict[str, set[int]] = defaultdict(set)
        for words in (base, self._extra):
            for w in words:
                if len(w) >= 3:
                    lengths[w[:3]].add(len(w))
        self._lengths = {start: tuple(sorted(ns)) for start, ns in lengths.items()}

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        found = [text[start:end] for end in (start + 1, start + 2) if end <= len(text)]
        found = [w for w in found if w in self]
        for n in self._lengths.get(text[start : start + 3], ()):
            if start + n > len(text):
                break
            word = text[start : start + n]
            if word in self._base or word in self._extra:
                found.append(word)
        return found

    def __contains__(self, word: object) -> bool:
        return word in self._base or word in self._extra

    def __iter__(self) -> Iterator[str]:
        yield from self._base
        yield from self._extra

    def __len__(self) -> int:
        return len(self._base) + len(self._extra)


@dataclass
class ThaiText:
    """Turns text into the canonical tokens the matcher indexes. Build once; reuse."""

    lexicon: Lexicon
    extra_terms: InitVar[Iterable[str]] = ()  # the knowledge base's own terms
    _dictionary: WordDictionary = field(init=False, repr=False)
    _phrase_re: re.Pattern[str] | None = field(init=False, repr=False)
    _parts: dict[str, list[str]] = field(init=False, repr=False)
    _words: frozenset[str] = field(init=False, repr=False)
    _cuts: dict[str, tuple[str, ...]] = field(init=False, repr=False, default_factory=dict)
    _expanded: dict[str, tuple[str, ...]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self, extra_terms: Iterable[str]) -> None:
        self._words = base = thai_words()
        kb_terms = {
            t for term in extra_terms for t in normalize(term).split() if THAI_LETTER.search(t)
        }
        self._dictionary = WordDictionary(base, self.lexicon.thai_terms | kb_terms)
        # A knowledge-base compound (ผักปลอดสารพิษ) is also indexed by its parts, so a resident
        # who types only ผัก still meets it, while the whole term keeps its precision.
        self._parts = {}
        for term in kb_terms - self.lexicon.thai_terms:
            if term in base:
                continue  # a dictionary word: split only if it is a compound (below)
            parts = self.dictionary_parts(term)
            if len(parts) > 1:
                self._parts[term] = parts
        phrases = self.lexicon.phrases
        self._phrase_re = re.compile(_longest_of(phrases)) if phrases else None

    def segment(self, text: str) -> list[str]:
        """Normalised words, before the lexicon is applied. Years are written as Thai people
        write them: 2024 becomes 2567, and "67" after a month or ปี becomes 2567."""
        norm = normalize(text)
        if self._phrase_re is not None:
            norm = self._phrase_re.sub(self._phrase, norm)
        words: list[str] = []
        for run in _RUNS.findall(norm):
            if THAI_LETTER.match(run):
                words.extend(self._cut(run))
            else:
                words.append(run)
        words = _isan_question(words, self.lexicon)
        return _buddhist_years(words, self.lexicon) if _DIGIT.search(norm) else words

    def _phrase(self, m: re.Match[str]) -> str:
        """A phrase only where it is whole words: the month ม ค is not in ผม ครับ, "sign up" is
        not in "sign upper". (Checked here, not by lookarounds in the pattern: a lookbehind
        on each of hundreds of alternatives makes every text ten times slower to scan.)"""
        text, start, end = m.string, m.start(), m.end()
        if (start > 0 and _same_script(text[start - 1], text[start])) or (
            end < len(text) and _same_script(text[end - 1], text[end])
        ):
            return m.group(0)
        return f" {self.lexicon.phrases[m.group(0)]} "

    def _cut(self, run: str) -> tuple[str, ...]:
        """newmm on one run of Thai letters, remembered: knowledge bases and residents
        repeat the same phrases, and newmm is the slowest step of indexing."""
        cut = self._cuts.get(run)
        if cut is None:
            cut = tuple(w for w in newmm.segment(run, custom_dict=self._dictionary) if w.strip())
            if len(self._cuts) < 500_000:
                self._cuts[run] = cut
        return cut

    def dictionary_parts(self, word: str) -> list[str]:
        """The word cut into pythainlp dictionary words, longest first, left to right.

        A second newmm tokenizer would do this slightly better but costs a second
        dictionary trie (memory and start-up time) for a job done on a few thousand terms.
        """
        parts: list[str] = []
        i = 0
        while i < len(word):
            # The word itself is often in the dictionary too (เสียเงิน): cut below it.
            longest = max(i + 1, min(len(word) - (i == 0), i + 20))
            for j in range(longest, i, -1):
                if word[i:j] in self._words or j == i + 1:
                    parts.append(word[i:j])
                    i = j
                    break
        return parts

    def _compound_parts(self, word: str) -> list[str]:
        """The parts of a compound (เสียเงิน: เสีย เงิน), so a resident who types them apart or
        with a synonym (เสียตังค์) still meets it; none for a word that only looks like one.

        The dictionary also cuts loanwords and lexicalised words into syllables that happen
        to be words (ออนไลน์: ออน ไลน์, กิจกรรม: กิจ กรรม, ยกเลิก: ยก เลิก). A real compound is
        made of words Thai people use often, and is itself much rarer than each of them in
        the Thai National Corpus.
        """
        parts: list[str] = []
        if len(word) >= 4 and THAI_LETTER.match(word):
            freqs = general_frequencies()
            cut = self.dictionary_parts(word)
            rarest = min((freqs.count(p) for p in cut), default=0)
            if (
                len(cut) > 1
                and all(len(p) >= 2 for p in cut)
                and rarest >= COMMON_WORD_COUNT
                and freqs.count(word) <= COMPOUND_RATIO * rarest
            ):
                parts = cut
        if len(self._parts) < 200_000:
            self._parts[word] = parts
        return parts

    def expand(self, word: str) -> tuple[str, ...]:
        """Canonical tokens of one segmented word: none for a particle; compounds add parts."""
        # Remembered: a knowledge base repeats its vocabulary a hundred times over.
        known = self._expanded.get(word)
        if known is not None:
            return known
        mapped = self.lexicon.map(word)
        out: tuple[str, ...] = ()
        if mapped is not None:
            # Parts of the canonical term, so that every variant (ยังไง) expands as it does.
            parts = self._parts.get(mapped)
            if parts is None:
                parts = self._compound_parts(mapped)
            mapped_parts = (self.lexicon.map(part) for part in parts)
            out = (mapped, *(p for p in mapped_parts if p is not None and p != mapped))
        if len(self._expanded) < 200_000:
            self._expanded[word] = out
        return out

    def expand_all(self, words: Iterable[str]) -> list[tuple[str, ...]]:
        """`expand` of each word; the remembered ones are read without a call each (indexing
        10,000 entries expands a million words)."""
        known = self._expanded
        return [known[w] if w in known else self.expand(w) for w in words]

    def tokens(self, text: str) -> list[str]:
        """Canonical content tokens: segmented, synonyms mapped, particles dropped."""
        return [t for toks in self.expand_all(self.segment(text)) for t in toks]
