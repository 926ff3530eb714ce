"""A local, offline stand-in for the Telegram Bot API server.

``LocalBotApi`` is a small aiohttp server bound to 127.0.0.1 that speaks the
Bot API wire format (``POST {base_url}{token}/{method}``, form/JSON/multipart
requests, ``{"ok": ..., "result"/"description": ...}`` responses), so a real
python-telegram-bot ``Application`` can run against it unchanged.  It serves
two purposes:

* end-to-end tests drive users (``send_text``, ``press``, ``edit_text``, in
  private chats and in groups), inspect what the bot sent (``messages``,
  ``wait_for_message``, ``rejected``), and make Telegram fail the way it does
  now and then (``fail_next``, ``inject_faults``: 5xx answers and dropped
  connections, kept apart from refusals in ``injected_failures``);
* a terminal chat mode lets a person talk to the bot with no network
  (``on_message`` hook plus the same driving methods).

The server deliberately refuses what Telegram refuses -- malformed HTML,
over-long texts, invalid keyboards, unknown chats, blocked users, flood
limits -- with Telegram's status codes and error wording, because a fake that
accepts everything would hide exactly the bugs that break a bot in
production.

Private chats and groups are modelled; Markdown parse modes, inline mode (beyond a
button press on an inline message), payments and webhook delivery are out of scope.
It imports nothing of the bot: it is a tool the bot is tested with.

Modules, by concern: ``entities`` (Telegram's HTML and entities, UTF-16 offsets),
``markup`` (keyboards), ``model`` (chats, messages, files), ``limits`` (flood
control and injected faults), ``wire`` (request parameters, refusals, call
records) and ``server`` (the HTTP server, its methods and the driving API).
"""

from fakebot.entities import HtmlParseError, parse_html
from fakebot.limits import DROPPED, FaultPlan, FloodLimits
from fakebot.model import SentFile, SentMessage
from fakebot.server import LocalBotApi
from fakebot.wire import ApiCall, Rejection

__all__ = [
    "DROPPED",
    "ApiCall",
    "FaultPlan",
    "FloodLimits",
    "HtmlParseError",
    "LocalBotApi",
    "Rejection",
    "SentFile",
    "SentMessage",
    "parse_html",
]
