"""One knowledge-base size, measured in its own process (so peak memory is its own):
index build time, latency per question, and the same for a plain rapidfuzz baseline.

Prints one JSON object. Used by bench/run.py; runnable alone:
    python -m bench.matcher_size 10000
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import ROOT

QUESTIONS = ROOT / "tests" / "eval" / "questions.yaml"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def timed(match: Callable[[str], object], questions: list[str]) -> list[float]:
    times = []
    for q in questions:
        t = time.perf_counter()
        match(q)
        times.append(time.perf_counter() - t)
    return times


def main(size: int, baseline_questions: int) -> dict[str, float]:
    from rapidfuzz import fuzz, process

    from bot.allocator import give_back_large_blocks

    give_back_large_blocks()  # as `python -m bot` does at start-up
    from bench.gen_kb import write
    from kb.evaluate import load_questions
    from kb.knowledge import Knowledge

    path = ROOT / "data" / "kb" if size == 0 else write(size, Path(f"/tmp/bench-kb-{size}.yaml"))
    questions = [q.q for q in load_questions(QUESTIONS)]
    started = time.perf_counter()
    knowledge = Knowledge.load(path, ROOT / "data" / "lexicon.yaml", ZoneInfo("Asia/Bangkok"))
    build = time.perf_counter() - started
    started = time.perf_counter()
    knowledge.matcher.prepare_latin()  # the bot does this in a thread at start-up
    roman = time.perf_counter() - started
    knowledge.matcher.match("อุ่นเครื่อง")  # first-call costs are not per-question costs
    lexical = timed(knowledge.matcher.match, questions)
    # The sentence model, as the bot prepares it before its first question: embedding every
    # phrasing from an empty cache, the cost of a first start (later starts read the cache).
    # At 10,000 entries embedding takes many minutes: the vectors are kept between runs in
    # /tmp, and the time is reported only when they were embedded in this run.
    from kb.semantic import VectorCache as Cache

    cache = Cache(Path(f"/tmp/bench-vectors-{size}.npz"))
    texts, _ = knowledge.matcher.phrasings()
    embedded_now = cache.missing(texts)
    started = time.perf_counter()
    semantic = knowledge.matcher.prepare_semantic(cache)
    semantic_s = time.perf_counter() - started if embedded_now else float("nan")
    # Calibration, as every start does it: the shipped out-of-scope questions, their vectors
    # read from the file beside them.
    from kb import calibration
    from kb.semantic import VectorCache, shipped_path

    started = time.perf_counter()
    knowledge.matcher.calibrate(
        calibration.load_questions(calibration.DEFAULT_PATH),
        VectorCache(None, shipped_path(calibration.DEFAULT_PATH)),
    )
    calibrate_s = time.perf_counter() - started
    if semantic:
        knowledge.matcher.match("อุ่นเครื่อง")
        ours = timed(knowledge.matcher.match, questions)
    else:
        ours = lexical
    # Baseline: rapidfuzz extractOne over every title and phrasing (its default WRatio).
    choices = [text for e in knowledge.kb for text in (e.title, *e.questions)]
    base = []
    for q in questions[:baseline_questions]:
        t = time.perf_counter()
        process.extractOne(q, choices, scorer=fuzz.WRatio)
        base.append(time.perf_counter() - t)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "entries": len(knowledge.kb),
        "phrasings": len(choices),
        "build_s": build,
        "romanised_s": roman,
        "semantic": semantic,
        "semantic_s": semantic_s,
        "calibrate_s": calibrate_s,
        "lexical_p50_ms": percentile(lexical, 0.5) * 1000,
        "lexical_p99_ms": percentile(lexical, 0.99) * 1000,
        "lexical_mean_ms": sum(lexical) / len(lexical) * 1000,
        "p50_ms": percentile(ours, 0.5) * 1000,
        "p99_ms": percentile(ours, 0.99) * 1000,
        "mean_ms": sum(ours) / len(ours) * 1000,
        "baseline_p50_ms": percentile(base, 0.5) * 1000,
        "baseline_p99_ms": percentile(base, 0.99) * 1000,
        "baseline_mean_ms": sum(base) / len(base) * 1000,
        "peak_mb": peak_mb,
        "questions": len(ours),
        "baseline_questions": len(base),
    }


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    print(json.dumps(main(size, limit)))
