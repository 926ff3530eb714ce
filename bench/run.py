"""Run every benchmark and write bench/results/latest.md, latest.json and latency.png.

    python bench/run.py            (about six minutes on a 2-core machine)

Each figure is compared with a simple baseline measured in the same run: a plain rapidfuzz
extractOne for the matcher, a minimal python-telegram-bot echo bot for whole-bot throughput,
the store alone for sign-ups, Telegram's 30 messages a second for broadcasts, and the bot's
former first-come order for a crowd's first answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results"
SIZES = [0, 1000, 10000]  # 0 = the shipped knowledge base
BASELINE_QUESTIONS = {0: 10_000, 1000: 200, 10000: 60}  # rapidfuzz is slow at 10,000


def python(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    return done.stdout


def matcher_sizes() -> list[dict[str, float]]:
    results = []
    for size in SIZES:
        if size:
            python("-m", "bench.gen_kb", str(size), f"/tmp/bench-kb-{size}.yaml")
        line = python("-m", "bench.matcher_size", str(size), str(BASELINE_QUESTIONS[size]))
        results.append(json.loads(line.strip().splitlines()[-1]))
        print(f"matcher {size or 'shipped'}: {results[-1]}", file=sys.stderr)
    return results


def rebuilds() -> list[dict[str, float]]:
    """An entry made in Telegram put in service, against a /reload, at two sizes."""
    return [json.loads(python("-m", "bench.rebuild", str(size)).strip().splitlines()[-1])
            for size in (0, 1000)]  # fmt: skip


def rebuild_table(r: list[dict[str, float]]) -> str:
    rows = [
        "| an entry made or edited in Telegram, until residents get it | in service after | a /reload of the same knowledge base | ratio |",
        "|---|---|---|---|",
    ]
    for x in r:
        name = (
            "shipped (with the model)" if x["size"] == 0 else f"generated {x['size']:,} (lexical)"
        )
        rows.append(
            f"| {name} | {x['edit_in_service_s']:.1f} s | {x['reload_s']:.1f} s | {x['ratio']:.0%} |"
        )
    return "\n".join(rows)


def cold_start(runs: int = 6) -> tuple[float, float]:
    """Seconds from `python -m bot ask` to its answer: the first run on a fresh install (no
    cache beside the database, only the vectors shipped with the knowledge base), and the
    median of the runs after it."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"BOT_DB_PATH": str(Path(tmp) / "bot.sqlite3")}  # the cache lives beside it
        for _ in range(runs):
            started = time.perf_counter()
            python("-m", "bot", "ask", "ปลูกผักตลาดจอมพลสมัครยังไง", env=env)
            times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:])


def plot(results: list[dict[str, float]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    sizes = [r["entries"] for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot(sizes, [r["p50_ms"] for r in results], "o-", label="matcher p50")
    ax.plot(sizes, [r["p99_ms"] for r in results], "o-", label="matcher p99")
    ax.plot(sizes, [r["baseline_p50_ms"] for r in results], "s--", label="rapidfuzz extractOne p50")
    ax.plot(sizes, [r["baseline_p99_ms"] for r in results], "s--", label="rapidfuzz extractOne p99")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("knowledge-base entries")
    ax.set_ylabel("latency per question (ms)")
    ax.set_title("Question latency against knowledge-base size")
    ax.axhline(5, color="grey", linewidth=0.8, linestyle=":")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return True


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def speedup(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def table(m: list[dict[str, float]], cold: tuple[float, float], bot: dict[str, float]) -> str:
    rows = [
        "| knowledge base | entries | phrasings | index build (+ romanised keys, in a thread) | sentence model: embedding every phrasing | p50 | p99 | lexical alone p50 / p99 | baseline p50 | baseline p99 | speed-up (mean) | peak memory |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r, size in zip(m, SIZES, strict=True):
        name = "shipped" if size == 0 else f"generated {size:,}"
        model = f"{r['semantic_s']:.1f} s" if r["semantic"] else "off (over 5,000 phrasings)"
        rows.append(
            f"| {name} | {r['entries']:,} | {r['phrasings']:,} | {r['build_s']:.1f} s (+{r['romanised_s']:.1f} s)"
            f" | {model} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms"
            f" | {r['lexical_p50_ms']:.2f} / {r['lexical_p99_ms']:.2f} ms | {r['baseline_p50_ms']:.2f} ms"
            f" | {r['baseline_p99_ms']:.2f} ms | {speedup(r['baseline_mean_ms'] / r['mean_ms'])}"
            f" | {r['peak_mb']:.0f} MB |"
        )
    rows += [
        "",
        "| whole bot | measured | baseline in the same run | ratio |",
        "|---|---|---|---|",
        f"| questions answered (updates/s, {bot['residents']} residents at once) | {bot['bot_updates_s']:.0f} | echo bot {bot['echo_updates_s']:.0f} | {bot['bot_vs_echo']:.0%} |",
        f"| each resident's answers in order | {'yes' if bot['per_resident_order_kept'] else 'NO'} | | |",
        f"| sign-ups/s through the bot | {bot['signups_bot_s']:.0f} | store alone {bot['signups_store_s']:.0f} | {bot['signups_bot_s'] / bot['signups_store_s']:.0%} |",
        f"| broadcast messages/s (flood limits on) | {bot['broadcast_msgs_s']:.1f} | Telegram ~30 | {bot['broadcast_vs_30']:.0%}, {bot['broadcast_429']} × 429 |",
        f"| cold start `python -m bot ask` | {cold[1]:.2f} s | first start on a fresh install {cold[0]:.2f} s | |",
    ]
    return "\n".join(rows)


CROWD_ROWS = {
    "before": "as it was: first come, first served",
    "processor_only": "update processor fixed, sending still first-come",
    "now": "now: fair sending too",
}


def crowd_table(crowd: dict[str, Any]) -> str:
    rows = [
        f"| a crowd: {crowd['residents']} residents each typing {crowd['questions_each']} "
        "questions (flood limits on) | first answer: median | p90 | worst | all answered |",
        "|---|---|---|---|---|",
    ]
    for scenario, title in (("at_once", "all at once"), ("arriving", "arriving over 10 s")):
        for config, label in CROWD_ROWS.items():
            r = crowd[scenario][config]
            rows.append(
                f"| {title}, {label} | {r['median_s']:.1f} s | {r['p90_s']:.1f} s"
                f" | {r['worst_s']:.1f} s | {r['all_answered_s']:.1f} s |"
            )
    return "\n".join(rows)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    m = matcher_sizes()
    cold = cold_start()
    sys.path.insert(0, str(ROOT))
    from bench.bot_bench import run_all

    bot = asyncio.run(run_all())
    bot["residents"] = 300
    from bench import crowd as crowd_bench

    crowd = asyncio.run(crowd_bench.run())
    edits = rebuilds()
    md = table(m, cold, bot) + "\n\n" + crowd_table(crowd) + "\n\n" + rebuild_table(edits)
    has_plot = plot(m, OUT / "latency.png")
    elapsed = time.perf_counter() - started
    report = f"# Benchmarks\n\nMachine: {machine()}. Whole run: {elapsed:.0f} s.\n\n{md}\n" + (
        "\n![latency against knowledge-base size](latency.png)\n" if has_plot else ""
    )
    (OUT / "latest.md").write_text(report, encoding="utf-8")
    (OUT / "latest.json").write_text(
        json.dumps(
            {
                "matcher": m,
                "cold_start_s": cold[1],
                "first_start_s": cold[0],
                "bot": bot,
                "crowd": crowd,
                "rebuild": edits,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(report)


if __name__ == "__main__":
    main()
