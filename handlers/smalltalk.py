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
from kb.smalltalk import SmallTalk, load_smalltalk

_KEY = "smalltalk"  # where the application keeps the file's patterns (bot_data)
_TURNS = "smalltalk_turns"  # per chat: how many replies of each intent it has had


class SmallTalkFilter(filters.MessageFilter):
    """Text that is small talk and nothing else."""

    def __init__(self, talk: SmallTalk) -> None:
        super().__init__(name="SmallTalk")
        self.talk = talk

    def filter(self, message: Message) -> bool:
        return bool(message.text) and self.talk.read(message.text or "") is not None


async def smalltalk_message(update: Update, context: Context) -> None:
    """A message that is only small talk: a reply in kind, and the menu."""
    message = update.effective_message
    talk = context.application.bot_data.get(_KEY)
    if message is None or not message.text or not isinstance(talk, SmallTalk):
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
    # as an invalid knowledge base does.
    talk = load_smalltalk(Services.of(app).settings.smalltalk_path)
    app.bot_data[_KEY] = talk
    # New messages in the private chat only, like questions (an edit was answered when sent).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    chat = private & filters.TEXT & ~filters.COMMAND & SmallTalkFilter(talk)
    app.add_handler(MessageHandler(chat, smalltalk_message))
