"""Settings: read once from the environment into one frozen object, validated at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.phone import display_phone, normalize_phone
from bot.reminders import Lead, parse_leads

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REMINDERS = "1d@09:00,2h"
DEFAULT_API = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
# LINE ids: an official account's is @ and its name, a person's 4-20 characters.
LINE_ID = re.compile(r"@[a-z0-9._-]{3,20}|[a-z0-9._-]{4,20}")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message is one line an operator can act on."""


def _user_ids(name: str, text: str | None) -> set[int]:
    """Telegram user ids separated by commas (or semicolons)."""
    ids: set[int] = set()
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"{name} must be Telegram user ids separated by commas (bad: {part!r})"
            )
        ids.add(int(part))
    return ids


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)  # never printed or logged
    api_base_url: str = DEFAULT_API
    kb_path: Path = ROOT / "data" / "kb"
    # Invented example events served beside kb_path: `chat` only, never from the environment.
    examples_path: Path | None = None
    lexicon_path: Path = ROOT / "data" / "lexicon.yaml"
    db_path: Path = ROOT / "data" / "bot.sqlite3"
    admin_ids: frozenset[int] = frozenset()
    # Door staff who may check residents in (codes, /checkin) and do nothing else.
    checkin_ids: frozenset[int] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Bangkok"))
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    contact: str = "บริษัท ขอนแก่นพัฒนาเมือง (เคเคทีที) จำกัด"
    # How residents reach a person, shown under the fallback and /help when set.
    contact_phone: str | None = None  # normal form +66..., see bot/phone.py
    contact_line: str | None = None  # a LINE id: "@kktt" (official account) or a personal id
    contact_place: str | None = None
    # Greetings, thanks, emoji...: answered in kind, never stored as questions.
    smalltalk_path: Path = ROOT / "data" / "smalltalk.yaml"
    # When confirmed residents are reminded: the day before at 09.00, and two hours before.
    reminders: tuple[Lead, ...] = field(default_factory=lambda: parse_leads(DEFAULT_REMINDERS))
    reminder_interval: float = 60.0  # seconds between checks for due reminders
    # Messages a second across all chats: Telegram's limit for a bot is about 30.
    rate_limit: float = 30.0
    # About one message a second per chat, as Telegram asks; off only for the local chat.
    pace_chats: bool = True
    # The sentence model in the matcher (kb/semantic.py), where its engine can run.
    semantic: bool = True
    # Texts the model may embed before the first question (about 11 ms each); a knowledge
    # base with more missing is answered without the model until they are embedded in the
    # background.
    embed_budget: int = 1_000
    # Residents' questions are deleted after this many days (PDPA: kept no longer than needed).
    question_retention_days: int = 90

    @property
    def vector_path(self) -> Path:
        """The sentence model's phrasing vectors, cached beside the database."""
        return self.db_path.with_name("vectors.npz")

    @property
    def api_file_url(self) -> str:
        # Telegram serves files from /file/bot<token>; keep a custom server's host.
        return self.api_base_url.removesuffix("/bot") + "/file/bot"

    def contact_fields(self) -> tuple[str, str | None, str | None, str | None]:
        """Who residents can reach, and how: the name, the phone as Thai people write it,
        the LINE id and the place (for texts.fallback and texts.help_contact)."""
        phone = display_phone(self.contact_phone) if self.contact_phone else None
        return self.contact, phone, self.contact_line, self.contact_place

    def can_check_in(self, user_id: int) -> bool:
        """Organisers and door staff (BOT_CHECKIN_IDS) check residents in."""
        return user_id in self.admin_ids or user_id in self.checkin_ids

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError(
                "BOT_TOKEN is not set: get a token from @BotFather and export BOT_TOKEN=..."
            )
        return self.token

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        token = get("BOT_TOKEN")
        if token is not None and not _TOKEN_RE.fullmatch(token):
            raise ConfigError("BOT_TOKEN does not look like a bot token (digits:letters)")
        api = get("BOT_API_BASE_URL") or DEFAULT_API
        if not api.startswith(("http://", "https://")):
            raise ConfigError(f"BOT_API_BASE_URL must start with http:// or https:// (got {api!r})")
        admins = _user_ids("BOT_ADMIN_IDS", get("BOT_ADMIN_IDS"))
        checkin = _user_ids("BOT_CHECKIN_IDS", get("BOT_CHECKIN_IDS"))
        tz_name = get("BOT_TZ") or "Asia/Bangkok"
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"BOT_TZ is not a known time zone: {tz_name!r}") from exc
        webhook = get("BOT_WEBHOOK_URL")
        if webhook is not None and not webhook.startswith("https://"):
            raise ConfigError("BOT_WEBHOOK_URL must be an https:// address Telegram can reach")
        secret = get("BOT_WEBHOOK_SECRET")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ConfigError("BOT_WEBHOOK_SECRET may contain only A-Z, a-z, 0-9, _ and -")
        port_text = get("BOT_WEBHOOK_PORT") or "8443"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"BOT_WEBHOOK_PORT must be a port number (got {port_text!r})")
        try:
            reminders = parse_leads(get("BOT_REMINDERS") or DEFAULT_REMINDERS)
        except ValueError as exc:
            raise ConfigError(f"BOT_REMINDERS: {exc}") from exc
        interval_text = get("BOT_REMINDER_INTERVAL") or "60"
        try:
            interval = float(interval_text)
        except ValueError:
            interval = 0.0
        if not 0 < interval <= 3600:
            raise ConfigError(
                f"BOT_REMINDER_INTERVAL must be seconds, 1 to 3600 (got {interval_text!r})"
            )
        rate_text = get("BOT_RATE_LIMIT") or "30"
        try:
            rate = float(rate_text)
        except ValueError:
            rate = 0.0
        if rate <= 0:
            raise ConfigError(f"BOT_RATE_LIMIT must be messages per second (got {rate_text!r})")
        semantic_text = (get("BOT_SEMANTIC") or "1").lower()
        if semantic_text not in ("0", "1", "on", "off"):
            raise ConfigError(f"BOT_SEMANTIC must be 1 or 0 (got {semantic_text!r})")
        retention_text = get("BOT_QUESTION_RETENTION_DAYS") or "90"
        if not retention_text.isascii() or not retention_text.isdigit():
            retention_text = "0"
        retention = int(retention_text)
        if not 1 <= retention <= 3650:
            raise ConfigError(
                "BOT_QUESTION_RETENTION_DAYS must be whole days, 1 to 3650"
                f" (got {get('BOT_QUESTION_RETENTION_DAYS')!r})"
            )
        budget_text = get("BOT_EMBED_BUDGET") or "1000"
        if not budget_text.isascii() or not budget_text.isdigit() or int(budget_text) > 10**6:
            raise ConfigError(
                "BOT_EMBED_BUDGET must be a whole number of texts, 0 to 1000000"
                f" (got {budget_text!r})"
            )
        phone_text = get("BOT_CONTACT_PHONE")
        phone = normalize_phone(phone_text) if phone_text is not None else None
        if phone_text is not None and phone is None:
            raise ConfigError(
                "BOT_CONTACT_PHONE must be a Thai phone number such as 043-123-456"
                f" (got {phone_text!r})"
            )
        line_text = get("BOT_CONTACT_LINE")
        if line_text is not None and not LINE_ID.fullmatch(line_text.lower()):
            raise ConfigError(
                "BOT_CONTACT_LINE must be a LINE id: @ and 3-20 letters, digits, '.', '-' or '_'"
                f" for an official account, or 4-20 of them (got {line_text!r})"
            )
        place = get("BOT_CONTACT_PLACE")
        if place is not None and (len(place) > 200 or "\n" in place):
            raise ConfigError("BOT_CONTACT_PLACE must be one line of at most 200 characters")
        defaults = cls()
        return cls(
            token=token,
            api_base_url=api.rstrip("/") if api.rstrip("/").endswith("/bot") else api,
            kb_path=Path(get("BOT_KB_PATH") or defaults.kb_path),
            lexicon_path=Path(get("BOT_LEXICON_PATH") or defaults.lexicon_path),
            db_path=Path(get("BOT_DB_PATH") or defaults.db_path),
            admin_ids=frozenset(admins),
            checkin_ids=frozenset(checkin),
            tz=tz,
            webhook_url=webhook,
            webhook_secret=secret,
            webhook_listen=get("BOT_WEBHOOK_LISTEN") or "0.0.0.0",
            webhook_port=int(port_text),
            contact=get("BOT_CONTACT") or defaults.contact,
            contact_phone=phone,
            contact_line=line_text.lower() if line_text is not None else None,
            contact_place=place,
            smalltalk_path=Path(get("BOT_SMALLTALK_PATH") or defaults.smalltalk_path),
            reminders=reminders,
            reminder_interval=interval,
            rate_limit=rate,
            semantic=semantic_text in ("1", "on"),
            embed_budget=int(budget_text),
            question_retention_days=retention,
        )
