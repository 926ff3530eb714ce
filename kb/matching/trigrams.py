"""The shape signal: TF-IDF cosine of character trigrams between a question and each title,
phrasing and keyword list, which survives misspellings, missing spaces and bad segmentation.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt


def shape_text(words: list[str], expanded: list[tuple[str, ...]]) -> str:
    """What the trigram signal compares: the words as typed and as canonical terms (each
    word's expansion), so both a misspelling of the surface form and a dialect synonym find
    the entry."""
    raw = "".join(w for w, exp in zip(words, expanded, strict=True) if exp)
    canon = "".join(exp[0] for exp in expanded if exp)
    return raw if raw == canon else f"{raw} {canon}"


def trigrams(text: str) -> Counter[str]:
    """The text's character trigrams, padded with a space at each end."""
    padded = f" {text} "
    if len(padded) < 3:
        return Counter([padded])
    return Counter([padded[i : i + 3] for i in range(len(padded) - 2)])


_CODE_BITS = 21  # every Unicode code point fits in 21 bits: a trigram is one int64 key
_CODE_MASK = (1 << _CODE_BITS) - 1
_EMPTY_KEY = (ord(" ") << _CODE_BITS) | ord(" ")  # "  ", the one gram of an empty unit


_GramIds = npt.NDArray[Any]  # uint16 while gram ids fit in two bytes, int32 after


def _gram_text(key: int) -> str:
    codes = (key >> 2 * _CODE_BITS, (key >> _CODE_BITS) & _CODE_MASK, key & _CODE_MASK)
    return "".join(chr(c) for c in codes if c)


class ShapeUnits:
    """Each shape unit's trigrams, kept as (gram id, count) pairs in numpy arrays as the index
    is built: holding the units' texts until the end would cost more than the index itself.

    Units are counted in batches by numpy, not with a Counter each: a large knowledge base
    has millions of trigrams, and a Python loop over them was a large share of indexing."""

    BATCH = 4096

    def __init__(self) -> None:
        self._gram_of_key: dict[int, int] = {}
        self._pending: list[str] = []
        self._ids: list[_GramIds] = []
        self._counts: list[npt.NDArray[np.uint8]] = []
        self._sizes: list[npt.NDArray[np.int32]] = []

    def add(self, text: str) -> None:
        self._pending.append(text)
        if len(self._pending) >= self.BATCH:
            self._count()

    def _count(self) -> None:
        units, self._pending = self._pending, []
        if not units:
            return
        # The units' code points in one array, each padded with a space as trigrams() pads
        # and ended by a NUL: a window with a NUL in it spans two units and is dropped.
        text = "".join(f" {t} \0" for t in units)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        keys = (codes[:-2] << 2 * _CODE_BITS) | (codes[1:-1] << _CODE_BITS) | codes[2:]
        inside = (codes[:-2] != 0) & (codes[1:-1] != 0) & (codes[2:] != 0)
        unit = np.cumsum(codes == 0)[:-2]
        keys, unit = keys[inside], unit[inside]
        del codes, inside
        empty = [i for i, t in enumerate(units) if not t]
        if empty:
            keys = np.concatenate((keys, np.full(len(empty), _EMPTY_KEY, dtype=np.int64)))
            unit = np.concatenate((unit, np.asarray(empty, dtype=np.int64)))
        distinct, where = np.unique(keys, return_inverse=True)
        known = self._gram_of_key
        # Ids in first-seen order, the same in every process (distinct keys come sorted).
        gram = np.fromiter(
            (known.setdefault(k, len(known)) for k in distinct.tolist()),
            dtype=np.int64,
            count=len(distinct),
        )
        pairs, counts = np.unique((unit << 32) | gram[where.ravel()], return_counts=True)
        # Two bytes a gram id while they fit (they do at every size the bot supports), four
        # after.
        narrow = len(known) <= 1 << 16
        self._ids.append((pairs & 0xFFFFFFFF).astype(np.uint16 if narrow else np.int32))
        # A trigram 255 times in one phrasing is already noise: a byte is enough.
        self._counts.append(np.minimum(counts, 255).astype(np.uint8))
        self._sizes.append(np.bincount(pairs >> 32, minlength=len(units)).astype(np.int32))

    def take(self) -> tuple[dict[str, int], _GramIds, npt.NDArray[np.uint8], npt.NDArray[np.int32]]:
        """Every unit's (gram id, count) pairs, unit by unit, and each unit's number of
        pairs; handed over (not shared) so they can be freed early."""
        self._count()
        grams = {_gram_text(key): gid for key, gid in self._gram_of_key.items()}
        out = (
            grams,
            np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int32),
            np.concatenate(self._counts) if self._counts else np.zeros(0, dtype=np.uint8),
            np.concatenate(self._sizes) if self._sizes else np.zeros(0, dtype=np.int32),
        )
        self._gram_of_key, self._ids, self._counts, self._sizes = {}, [], [], []
        return out


class TrigramIndex:
    """Character-trigram TF-IDF over shape units (titles, phrasings, keyword lists), each
    belonging to an entry: units are added entry by entry with add(), then finish() builds
    the index that scores() reads."""

    def __init__(self) -> None:
        self._units = ShapeUnits()
        self._unit_entry: array[int] = array("i")
        self._entries = 0
        self._unit_count = 0
        self._unit_starts: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._gram_id: dict[str, int] = {}
        self._gram_idf: list[float] = []
        self._gram_default_idf = 0.0
        self._gram_bounds: list[int] = [0]
        self._gram_units: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._gram_values: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._stop_df = 0

    def add(self, entry: int, text: str) -> None:
        """One unit of an entry: entries in order, an entry's units together."""
        self._units.add(text)
        self._unit_entry.append(entry)

    def finish(self, entries: int) -> None:
        """Build the index over the units added, for `entries` entries.

        The units' (gram id, count) pairs were collected in compact arrays as the entries
        were read; numpy computes idf and norms and groups the postings by gram.

        A large knowledge base has millions of pairs. The arrays as long as all of them are
        the input, a slice number per pair (a byte) and the output; every other array is for
        a slice of the pairs only, so that the build's peak memory stays near what it keeps.
        """
        gram_ids, gram_of, counts, size_of = self._units.take()
        units = len(size_of)
        # Every gram occurs: df >= 1. Counted a slice at a time: bincount copies its input
        # to int64 first, which for all the pairs at once was the build's largest array.
        df = np.zeros(len(gram_ids), dtype=np.int64)
        for a in range(0, len(gram_of), 1 << 20):
            df += np.bincount(gram_of[a : a + (1 << 20)], minlength=len(gram_ids))
        idf = np.log1p(units / df)
        idf32 = idf.astype(np.float32)
        tf = np.arange(256, dtype=np.float32)  # log-scaled count, by count
        np.log(tf, out=tf, where=tf > 0)
        tf += 1
        # Pairs are stored unit by unit: a unit's norm is a sum over its own slice.
        offsets = np.concatenate(([0], np.cumsum(size_of)))  # where each unit's pairs start
        norm = np.ones(units, dtype=np.float32)
        for u0 in range(0, units, 16_384):
            u1 = min(units, u0 + 16_384)
            a, b = offsets[u0], offsets[u1]
            weight = tf[counts[a:b]] * idf32[gram_of[a:b]]
            norm[u0:u1] = np.sqrt(np.add.reduceat(weight * weight, offsets[u0:u1] - a))
        norm[norm == 0] = 1.0
        # Postings grouped by gram, units in order within a gram (a stable sort by gram),
        # done for 16 slices of the gram ids with about as many pairs each.
        bounds = np.concatenate(([0], np.cumsum(df)))
        cuts = np.searchsorted(bounds, np.linspace(0, len(gram_of), 17)[1:-1])
        slice_of = np.searchsorted(cuts, np.arange(len(df)), side="right").astype(np.uint8)
        pair_slice = slice_of[gram_of]
        values = np.empty(len(gram_of), dtype=np.float32)
        owners = np.empty(len(gram_of), dtype=np.int32)
        for k, lo in enumerate([0, *cuts.tolist()]):
            pairs = np.flatnonzero(pair_slice == k)
            if not len(pairs):
                continue
            pairs = pairs[np.argsort(gram_of[pairs], kind="stable")]
            start = bounds[lo]
            unit = np.searchsorted(offsets, pairs, side="right") - 1
            owners[start : start + len(pairs)] = unit
            values[start : start + len(pairs)] = (
                tf[counts[pairs]] * idf32[gram_of[pairs]] / norm[unit]
            )
        del gram_of, counts, pair_slice
        self._gram_values, self._gram_units = values, owners
        # Postings of gram i are [bounds[i], bounds[i + 1]) of the two flat arrays: no
        # per-gram array objects (tens of thousands of them in a large knowledge base).
        self._gram_bounds = bounds.tolist()
        self._gram_id = gram_ids
        self._gram_idf = idf.tolist()
        self._gram_default_idf = math.log(1 + units)
        # Trigrams in more than 5% of units say little and cost the most to add up: a
        # question skips them (their share of the cosine is small by their low idf).
        self._stop_df = max(500, units // 20)
        # Units are stored entry by entry, so an entry's best unit is a reduceat over them.
        self._entries = entries
        self._unit_count = units
        self._unit_starts = np.searchsorted(
            np.frombuffer(self._unit_entry, dtype=np.int32), np.arange(entries, dtype=np.int32)
        )

    def scores(self, text: str) -> npt.NDArray[np.float64]:
        """Each entry's best trigram cosine between `text` (a shape_text) and its units."""
        vec = trigrams(text)
        found = [(self._gram_id.get(g), c) for g, c in vec.items()]
        weights = [
            (
                gid,
                (1 + math.log(c))
                * (self._gram_default_idf if gid is None else self._gram_idf[gid]),
            )
            for gid, c in found
        ]
        norm = math.sqrt(sum(w * w for _, w in weights)) or 1.0
        acc = np.zeros(self._unit_count)
        bounds = self._gram_bounds
        for gid, w in weights:
            if gid is None:
                continue
            lo, hi = bounds[gid], bounds[gid + 1]
            if hi - lo <= self._stop_df:
                acc[self._gram_units[lo:hi]] += (w / norm) * self._gram_values[lo:hi]
        if not self._unit_count:
            return np.zeros(self._entries)
        return np.maximum.reduceat(acc, self._unit_starts)
