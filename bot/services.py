"""What handlers need of the application: the services, and the typed context that hands
them out (`context.services`).

Imports no handler: handlers import this, and `bot.app` (the wiring) imports both.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from bot import texts
from bot.broadcasts import Broadcasts, Delivery
from bot.chat_context import ChatContexts
from bot.checkins import Checkins
from bot.config import Settings
from bot.entries import Entries
from bot.flows import Flows
from bot.handoffs import Handoffs
from bot.learned import Learned
from bot.notices import EntryNotices
from bot.people import People
from bot.questions import Questions
from bot.reminders import Reminders
from bot.residents import Residents
from bot.signups import Outbox, Signups
from bot.store import Store
from bot.subscriptions import Subscriptions
from kb.knowledge import Knowledge
from kb.loader import KBError
from kb.smalltalk import SmallTalk, SmallTalkError, load_smalltalk
from kb.thai import LexiconError

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
_KEY = "services"  # where the application keeps them (bot_data), read only by Services.of


@dataclass(frozen=True)
class Repos:
    """Everything that lives in SQLite, one object per table owner, opened in post_init."""

    store: Store
    residents: Residents
    questions: Questions
    people: People
    signups: Signups
    outbox: Outbox
    flows: Flows
    subscriptions: Subscriptions
    broadcasts: Broadcasts
    reminders: Reminders
    learned: Learned
    handoffs: Handoffs
    chat_context: ChatContexts  # what each resident was just shown (follow-ups)
    entries: Entries  # entries organisers made in Telegram, and their history
    entry_notices: EntryNotices  # changes owed to the residents signed up
    checkins: Checkins  # check-in codes and who came

    @classmethod
    async def open(cls, path: str | Path, tz: tzinfo) -> Repos:
        store = await Store.open(path)
        return cls(
            store, Residents(store), Questions(store), People(store), Signups(store),
            Outbox(store), Flows(store), Subscriptions(store), Broadcasts(store),
            Reminders(store), Learned(store), Handoffs(store), ChatContexts(store),
            Entries(store, tz), EntryNotices(store), Checkins(store),
        )  # fmt: skip


@dataclass
class Services:
    settings: Settings
    knowledge: Knowledge
    repos: Repos | None = None
    # The clock reminders and lists use; tests move it instead of waiting a day.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    deliveries: dict[int, Delivery] = field(default_factory=dict)  # running broadcasts
    warm_up: asyncio.Future[None] | None = None  # Latin-typed question support, in a thread
    # A large knowledge base's vectors, embedded in a thread while it answers lexically.
    embedding: asyncio.Future[None] | None = None
    stop_embedding: threading.Event = field(default_factory=threading.Event)
    # Failures reported to the organisers (handlers.errors): when last, and how many since.
    error_reported_at: datetime | None = None
    errors_unreported: int = 0
    # The knowledge base from the files, before entries made in Telegram and learned
    # phrasings are added to it (`rebuild`); one rebuild at a time, so none is overwritten
    # by an older one that finished later.
    files: Knowledge | None = None
    smalltalk: SmallTalk | None = None  # data/smalltalk.yaml, read at start and on /reload
    rebuilding: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        if self.files is None:
            self.files = self.knowledge

    @staticmethod
    def of(app: AnyApplication) -> Services:
        """The services of an application built by `bot.app.build_application`."""
        services = app.bot_data[_KEY]
        assert isinstance(services, Services)
        return services

    def install(self, app: AnyApplication) -> None:
        app.bot_data[_KEY] = self

    @property
    def r(self) -> Repos:
        if self.repos is None:
            raise RuntimeError("the store is opened in post_init; the application is not running")
        return self.repos

    @property
    def db(self) -> Store:
        return self.r.store

    @property
    def signups(self) -> Signups:
        return self.r.signups

    async def reload(self) -> None:
        """Load the knowledge base and the small talk again (in a thread: building the
        tokenizer takes a while); raises KBError, LexiconError or SmallTalkError and keeps
        the current ones if a file is invalid."""
        s = self.settings
        paths = (s.kb_path, s.examples_path) if s.examples_path else s.kb_path
        fresh = await asyncio.to_thread(Knowledge.load, paths, s.lexicon_path, s.tz)
        talk = await asyncio.to_thread(load_smalltalk, s.smalltalk_path)
        await self.rebuild(fresh)
        self.smalltalk = talk

    async def reload_report(self) -> str:
        """Reload BOT_KB_PATH (/reload, SIGHUP); on any error keep the knowledge base in
        service. Returns the Thai report for the organiser."""
        try:
            await self.reload()
        except KBError as exc:
            log.warning("reload refused: %d problem(s)", len(exc.problems))
            return texts.reload_failed([str(p) for p in exc.problems])
        except LexiconError as exc:
            return texts.reload_failed([str(exc)])
        except SmallTalkError as exc:
            return texts.reload_failed([str(p) for p in exc.problems])
        log.info("knowledge base reloaded: %d entries", len(self.knowledge.kb))
        report = texts.RELOAD_OK.format(count=len(self.knowledge.kb))
        clashes = await self.clashes()
        return report + texts.reload_clashes(clashes) if clashes else report

    async def refresh_learned(self) -> None:
        """Put organisers' approved phrasings into the matcher at once."""
        await self.rebuild()

    async def rebuild(self, files: Knowledge | None = None) -> None:
        """Serve the files (`files`, or those in service) with the entries made in Telegram
        and the learned phrasings: after a /reload, an entry made or changed, a phrasing
        learned or forgotten. Indexed fully, in a thread, then put in service: residents get
        answers from the previous one meanwhile, and a conversation in progress keeps its
        entry ids."""
        async with self.rebuilding:
            if files is not None:
                self.files = files
            assert self.files is not None
            made = await self.r.entries.published()
            learned = await self.r.learned.by_entry()
            ready = await asyncio.to_thread(self.files.combined, made, learned)
            await self.prepare(ready)

    async def clashes(self) -> list[str]:
        """Ids both in the files and made in Telegram (the one made in Telegram is served)."""
        assert self.files is not None
        files = self.files.kb
        return sorted(m.entry.id for m in await self.r.entries.all() if files.get(m.entry.id))

    async def prepare(self, knowledge: Knowledge) -> None:
        """Prepare `knowledge` (in a thread) and put it in service. Embedding more than
        `embed_budget` texts would hold questions for minutes: then it answers without the
        model, the vectors are embedded in the background, and the model comes into service
        (thresholds calibrated again) when they are all there."""
        s = self.settings
        await asyncio.to_thread(
            knowledge.prepare,
            latin=False,
            semantic=s.semantic,
            vector_cache=s.vector_path,
            embed_budget=s.embed_budget,
        )
        self.knowledge = knowledge
        if knowledge.vectors_pending(s.semantic) and self.embedding is None:
            self.embedding = asyncio.ensure_future(self._embed_in_background())

    async def _embed_in_background(self) -> None:
        """Embed the knowledge base in service, then prepare it again with the model."""
        knowledge = self.knowledge
        cache = knowledge.vector_cache(self.settings.vector_path)
        log.info("embedding the knowledge base in the background; answering without the model")
        try:
            await asyncio.to_thread(knowledge.matcher.embed_missing, cache, self.stop_embedding)
            if self.stop_embedding.is_set():
                return
        finally:
            self.embedding = None
        # A /reload meanwhile put another knowledge base in service: prepare that one.
        await self.prepare(self.knowledge)
        log.info("sentence model in service: %s", self.knowledge.matcher.semantic)

    async def stop_background(self) -> None:
        """At shutdown: end the background embedding between two batches (saved so far)."""
        self.stop_embedding.set()
        if self.embedding is not None:
            await asyncio.gather(self.embedding, return_exceptions=True)
            self.embedding = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context every handler and job receives (`ContextTypes(context=BotContext)`)."""

    @property
    def services(self) -> Services:
        return Services.of(self.application)


async def set_admin_commands(bot: Bot, admin_id: int) -> None:
    """Show an organiser their commands in the menu, beside the residents' ones."""
    try:
        await bot.set_my_commands(
            [BotCommand(c, d) for c, d in texts.COMMANDS + texts.ADMIN_COMMANDS],
            scope=BotCommandScopeChat(admin_id),
        )
    except BadRequest as exc:  # they have not opened the bot yet; /start sets it then
        log.info("organiser %s: command menu not set yet (%s)", admin_id, exc)
