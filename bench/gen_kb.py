"""Generate large knowledge bases from the shipped entries, for benchmarks.

Each generated entry is a shipped entry made distinct with extra words drawn from pythainlp's
Thai dictionary (place names, topics), so the vocabulary grows as a real knowledge base's would.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

from bot.config import ROOT


def generate(size: int, seed: int = 7) -> list[dict[str, object]]:
    from pythainlp.corpus import thai_words

    rng = random.Random(seed)
    words = sorted(w for w in thai_words() if 2 <= len(w) <= 8)
    base = []
    for f in sorted((ROOT / "data" / "kb").glob("*.yaml")):
        base += yaml.safe_load(f.read_text(encoding="utf-8"))["entries"]
    out = []
    for i in range(size):
        src = base[i % len(base)]
        extra = rng.sample(words, 3)
        entry = {
            "id": f"g{i}-{src['id']}"[:40],
            "kind": src["kind"],
            "title": f"{src['title']} {' '.join(extra[:2])}",
            "questions": [f"{q} {rng.choice(extra)}" for q in src["questions"]],
            "answer": f"{src['answer']}\n{' '.join(extra)}",
        }
        if src.get("keywords"):
            entry["keywords"] = [*src["keywords"], extra[2]]
        out.append(entry)
    return out


def write(size: int, path: Path) -> Path:
    path.write_text(
        yaml.safe_dump({"entries": generate(size)}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("size", type=int)
    parser.add_argument("out")
    args = parser.parse_args()
    print(write(args.size, Path(args.out)))
