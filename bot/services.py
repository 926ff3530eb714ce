"""What handlers need of the application: the services, and the typed context that hands
them out (`context.services`).

Imports no handler: handlers import this, and `bot.app` (the wiring) imports both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from bot import texts
from bot.broadcasts import Broadcasts, Delivery
from bot.config import Settings
from bot.flows import Flows
from bot.learned import Learned
from bot.people import People
from bot.questions import Questions
from bot.reminders import Reminders
from bot.residents import Residents
from bot.signups import Outbox, Signups
from bot.store import Store
from bot.subscriptions import Subscriptions
from kb.knowledge import Knowledge
from kb.loader import KBError
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

    @classmethod
    async def open(cls, path: str | Path) -> Repos:
        store = await Store.open(path)
        return cls(
            store, Residents(store), Questions(store), People(store), Signups(store),
            Outbox(store), Flows(store), Subscriptions(store), Broadcasts(store),
            Reminders(store), Learned(store),
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
    # Failures reported to the organisers (handlers.errors): when last, and how many since.
    error_reported_at: datetime | None = None
    errors_unreported: int = 0

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
        """Load the knowledge base again (in a thread: building the tokenizer takes a while);
        raises KBError or LexiconError and keeps the current one if the files are invalid."""
        s = self.settings
        fresh = await asyncio.to_thread(Knowledge.load, s.kb_path, s.lexicon_path, s.tz)
        await self._swap(fresh)

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
        log.info("knowledge base reloaded: %d entries", len(self.knowledge.kb))
        return texts.RELOAD_OK.format(count=len(self.knowledge.kb))

    async def refresh_learned(self) -> None:
        """Put organisers' approved phrasings into the matcher at once."""
        await self._swap(self.knowledge)

    async def _swap(self, knowledge: Knowledge) -> None:
        """Index `knowledge` with the learned phrasings, fully, then put it in service.
        In a thread, like the load: residents keep getting answers while the index builds."""
        s = self.settings
        learned = await self.r.learned.by_entry()
        ready = await asyncio.to_thread(knowledge.with_learned, learned)
        await asyncio.to_thread(ready.prepare, semantic=s.semantic, vector_cache=s.vector_path)
        self.knowledge = ready


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
