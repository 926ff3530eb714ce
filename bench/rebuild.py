"""How long an entry made or edited in Telegram takes to reach residents: the knowledge base
served again with it (index, sentence-model vectors, calibration), against loading and
preparing the same knowledge base from scratch in the same run (what /reload or a restart
costs). Vectors of texts already seen come from a cache, as in the bot.

Prints one JSON object. Runnable alone:
    python -m bench.rebuild [SIZE]        (0 = the shipped knowledge base)
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import ROOT

TZ = ZoneInfo("Asia/Bangkok")


def main(size: int, rounds: int = 5) -> dict[str, float]:
    from bot.allocator import give_back_large_blocks

    give_back_large_blocks()  # as `python -m bot` does at start-up
    from bench.gen_kb import write
    from kb.knowledge import Knowledge
    from kb.loader import entry_from_fields

    path = ROOT / "data" / "kb" if size == 0 else write(size, Path(f"/tmp/bench-kb-{size}.yaml"))
    lexicon = ROOT / "data" / "lexicon.yaml"
    cache = Path(tempfile.mkdtemp()) / "vectors.npz"
    # Semantic only where the bot uses the model at once (within its embedding budget).
    semantic = size == 0

    def load() -> Knowledge:
        k = Knowledge.load(path, lexicon, TZ)
        return k.prepare(latin=False, semantic=semantic, vector_cache=cache)

    files = load()  # fills the cache: the baseline below then reads vectors, as a restart does
    started = time.perf_counter()
    load()
    baseline = time.perf_counter() - started
    edits = []
    for i in range(rounds):
        made = entry_from_fields(
            {
                "id": f"tg-bench-{i}",
                "kind": "activity",
                "title": f"อบรมทำขนมไทย รุ่นที่ {i + 1}",
                "questions": [f"อบรมทำขนมไทยรุ่น {i + 1}", "สอนทำขนมไทยที่ไหน"],
                "answer": "อบรมทำขนมไทยฟรี ที่ศูนย์การเรียนรู้ตลาดจอมพล",
            },
            "telegram",
            TZ,
        )
        started = time.perf_counter()
        files.combined([made], {}).prepare(latin=False, semantic=semantic, vector_cache=cache)
        edits.append(time.perf_counter() - started)
    return {
        "size": size,
        "entries": len(files.kb),
        "semantic": semantic,
        "edit_in_service_s": statistics.median(edits),
        "reload_s": baseline,
        "ratio": statistics.median(edits) / baseline,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)))
