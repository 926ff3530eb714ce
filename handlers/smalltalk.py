"""Small talk answered in kind: a greeting, thanks, 555, 👍, 🙏, "who are you"... get a short
warm reply from data/smalltalk.yaml and the menu. Never stored as a question, so it neither
fills the organisers' /unanswered nor counts in /stats. Anything more than small talk
("สวัสดีค่ะ ปลูกผักสมัครยังไง") is left to the matcher."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot import texts
from bot.services import Services
from handlers.common import Context, menu_keyboard
from kb.smalltalk import load_smalltalk

_TURNS = "smalltalk_turns"  # per chat: how many replies of each intent it has had


class SmallTalkFilter(filters.MessageFilter):
    """Text that is small talk and nothing else (by the file in service: /reload reads it
    again)."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="SmallTalk")
        self.services = services

    def filter(self, message: Message) -> bool:
        talk = self.services.smalltalk
        return bool(message.text) and talk is not None and talk.read(message.text or "") is not None


async def smalltalk_message(update: Update, context: Context) -> None:
    """A message that is only small talk: a reply in kind, and the menu."""
    message = update.effective_message
    talk = context.services.smalltalk
    if message is None or not message.text or talk is None:
        return
    reading = talk.read(message.text)
    if reading is None:
        return
    # Replies in turn per chat (in memory: after a restart a chat starts again at the first).
    chat_data = context.chat_data if context.chat_data is not None else {}
    turns: dict[str, int] = chat_data.setdefault(_TURNS, {})
    turn = turns.get(reading.intent.id, 0)
    turns[reading.intent.id] = turn + 1
    await message.reply_text(texts.esc(reading.intent.reply(turn)), reply_markup=menu_keyboard())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Read at start: an invalid file stops the bot with its problems (file, line, intent),
    # as an invalid knowledge base does; /reload reads it again (Services.reload).
    services = Services.of(app)
    services.smalltalk = load_smalltalk(services.settings.smalltalk_path)
    # New messages in the private chat only, like questions (an edit was answered when sent).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    chat = private & filters.TEXT & ~filters.COMMAND & SmallTalkFilter(services)
    app.add_handler(MessageHandler(chat, smalltalk_message))
