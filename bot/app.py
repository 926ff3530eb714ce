"""The one place where the Telegram Application is built.

`python -m bot run`, `python -m bot chat` and the end-to-end tests all call
`build_application` and `running`, so they exercise the same wiring.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor, ContextTypes, Defaults

from bot import texts
from bot.config import Settings
from bot.ratelimit import TelegramRateLimiter, answering
from bot.request import RetryingRequest
from bot.services import BotContext, Repos, Services, set_admin_commands
from handlers import (
    account,
    admin,
    announce,
    ask,
    broadcast,
    browse,
    checkin,
    errors,
    events,
    followup,
    inbox,
    listing,
    reminders,
    signup,
    smalltalk,
    start,
    subscribe,
)
from kb.knowledge import Knowledge

log = logging.getLogger(__name__)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Different chats are served concurrently; one chat's updates run in order.

    PTB's `concurrent_updates(True)` gives no ordering at all, so a resident who taps two
    buttons quickly could see the answers swapped.

    PTB takes a slot of its concurrency limit before `do_process_update`, so an update
    waiting for its chat's turn would hold one: under a crowd, residents who sent three
    questions took three slots each, and everyone behind them waited for their later
    answers before their own first question was even read. PTB's limit is therefore set
    out of reach, and the real one (`max_concurrent_updates`) taken once the chat's turn
    has come (`slot_first=True` keeps PTB's way, for the crowd benchmark to compare).
    """

    def __init__(self, max_concurrent_updates: int = 256, *, slot_first: bool = False) -> None:
        super().__init__(max_concurrent_updates if slot_first else 2**31 - 1)
        self._slots = asyncio.Semaphore(2**31 - 1 if slot_first else max_concurrent_updates)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[int, int] = defaultdict(int)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        key = chat.id
        self._waiting[key] += 1
        try:
            async with self._locks[key], self._slots:
                # What the handlers send to this chat are answers, which the rate limiter
                # lets go before broadcasts and reminders.
                token = answering.set(key)
                try:
                    await coroutine
                finally:
                    answering.reset(token)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle chats so memory stays flat
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc = Services.of(app)
    s = svc.settings
    svc.repos = await Repos.open(s.db_path, s.tz)
    # With the entries made in Telegram and the learned phrasings; the sentence model's
    # vectors before the first question, so an answer never depends on how far a warm-up
    # got: a fraction of a second from the files, up to about ten seconds for texts in
    # neither; beyond that, in the background (Services.prepare).
    await svc.rebuild()
    # Ready for Latin-typed Thai before the first resident needs it, without delaying start.
    # Our own task, not app.create_task: the application is not running yet in post_init.
    svc.warm_up = asyncio.ensure_future(asyncio.to_thread(svc.knowledge.matcher.prepare_latin))
    await app.bot.set_my_commands([BotCommand(c, d) for c, d in texts.COMMANDS])
    # Organisers see their commands too; everyone else never sees them.
    for admin_id in sorted(s.admin_ids):
        await set_admin_commands(app.bot, admin_id)
    # Door staff see /checkin, the one organisers' command they may use.
    for staff_id in sorted(s.checkin_ids - s.admin_ids):
        await checkin.set_checkin_commands(app.bot, staff_id)
    log.info("bot @%s ready: %d knowledge-base entries", app.bot.username, len(svc.knowledge.kb))


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc = Services.of(app)
    await svc.stop_background()
    if svc.warm_up is not None:
        await svc.warm_up  # a thread cannot be cancelled; it ends within seconds
        svc.warm_up = None
    if svc.repos is not None:
        await svc.repos.store.close()
        svc.repos = None


def build_application(
    settings: Settings,
    knowledge: Knowledge,
    *,
    rate_limiter: TelegramRateLimiter | None = None,
    update_processor: PerChatUpdateProcessor | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the application; handlers are registered here in one visible order.
    `rate_limiter` and `update_processor` replace the usual ones (the crowd benchmark
    compares them with first-come order)."""
    app = (
        Application.builder()
        .token(settings.require_token())
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.tz,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(
            rate_limiter
            or TelegramRateLimiter(
                per_second=settings.rate_limit, chat_interval=1.0 if settings.pace_chats else 0.0
            )
        )
        # Transient failures (5xx, dropped connections) are retried where that is safe,
        # start-up calls and getUpdates included.
        .request(RetryingRequest(connection_pool_size=256))
        .get_updates_request(RetryingRequest(connection_pool_size=1))
        .concurrent_updates(update_processor or PerChatUpdateProcessor())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .context_types(ContextTypes(context=BotContext))
        .build()
    )
    Services(settings, knowledge).install(app)

    # Groups before 0, in this order: the button gate (-30), broadcast composing (-20),
    # events made in Telegram (-18), inbox replies (-15), sign-up flow steps (-10),
    # follow-ups about what was just shown (-5).
    signup.register(app)  # first: its deep link /start signup_<id> wins over plain /start;
    #                       its flow steps (group -10) see text before it becomes a question
    checkin.register(app)  # before /start: its deep link /start ci_<token>; /checkin
    start.register(app)  # /start, /help, the menu, /cancel (ends any flow)
    browse.register(app)  # /events, /programmes, /activities, details
    account.register(app)  # /mysignups (see, cancel), /forgetme
    subscribe.register(app)  # /subscribe, /unsubscribe
    broadcast.register(app)  # organisers: /broadcast (its composing step is group -20), /broadcasts
    announce.register(app, broadcast.start_delivery)  # an entry's announcement; change notices
    admin.register(app)  # organisers and staff: /export, /stats, /unanswered, /reload
    inbox.register(app)  # a person to reach: questions left for organisers, /inbox, replies (-15)
    events.register(app)  # organisers: /newevent, /myevents (their typed steps: group -18)
    reminders.register(app)  # the job that reminds confirmed residents
    followup.register(app)  # "จัดที่ไหน", "อันที่สอง" about what was just shown (group -5)
    smalltalk.register(app)  # greetings, thanks, 555, 🙏: a reply in kind (group 0, before ask)
    listing.register(app)  # "what's on" questions answered with the list (group 0, before ask)
    ask.register(app)  # free text: answer, "did you mean", fallback
    errors.register(app)  # must stay last: old buttons, unknown commands, the error handler
    return app


async def _heartbeat(app: Application[Any, Any, Any, Any, Any, Any], every: float) -> None:
    """Touch `heartbeat` beside the database each time Telegram answers a getMe, so a
    health check can tell a bot that works from one that is stuck or cut off."""
    path = Services.of(app).settings.db_path.with_name("heartbeat")
    while True:
        try:
            await app.bot.get_me()
            path.touch()
        except TelegramError as exc:  # after the request's own retries
            log.warning("heartbeat: Telegram did not answer (%s)", exc)
        except OSError as exc:
            log.warning("heartbeat: cannot touch %s (%s)", path, exc)
        await asyncio.sleep(every)


@asynccontextmanager
async def running(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    poll_timeout: int = 10,
    heartbeat: float = 60.0,
) -> AsyncIterator[None]:
    """Run the application (polling, or webhook when configured) for the duration of the block.

    This is what `Application.run_polling` does, minus owning the event loop, so the same
    sequence runs under `python -m bot run`, `chat` and the tests (`async with app:` alone would
    skip post_init and post_shutdown). Every `heartbeat` seconds the bot checks that Telegram
    answers (the Docker image's HEALTHCHECK reads the file it touches).
    """
    settings = Services.of(app).settings
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        if settings.webhook_url:
            await app.updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path="telegram",
                webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
                # Without a secret anyone who finds the URL could post fake updates.
                secret_token=settings.webhook_secret or secrets.token_urlsafe(32),
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await app.updater.start_polling(
                timeout=poll_timeout, poll_interval=0.0, allowed_updates=Update.ALL_TYPES
            )
        await app.start()
        beat = asyncio.create_task(_heartbeat(app, heartbeat))
        try:
            yield
        finally:
            beat.cancel()
            # Broadcasts stop between two messages and resume at the next start; otherwise
            # app.stop() would wait for every recipient.
            for delivery in Services.of(app).deliveries.values():
                delivery.pause()
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
