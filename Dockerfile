# Khon Kaen learning-city bot:
#   docker build -t kk-bot .
#   docker run -d --restart unless-stopped -e BOT_TOKEN=... -v kk-data:/data kk-bot
# The bot retries Telegram's passing failures itself; the restart policy brings it back
# from the rest (a long outage at start-up, a crash).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    # pythainlp writes downloaded corpora and caches under its data dir; the app dir is read-only.
    PYTHAINLP_DATA=/home/bot/pythainlp-data \
    BOT_DB_PATH=/data/bot.sqlite3 \
    BOT_TZ=Asia/Bangkok

RUN useradd --create-home --uid 10001 bot && mkdir -p /data && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
# The fake Bot API: `python -m bot chat` runs the bot against it, offline.
COPY fakebot ./fakebot
COPY handlers ./handlers
COPY kb ./kb
RUN pip install .
COPY data ./data

USER bot
VOLUME ["/data"]
# Webhook mode listens here when BOT_WEBHOOK_URL is set; polling needs no port.
EXPOSE 8443
# The bot touches `heartbeat` beside its database each minute when Telegram answers a getMe.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, sys, time; p = os.path.join(os.path.dirname(os.environ.get('BOT_DB_PATH', '/data/bot.sqlite3')), 'heartbeat'); sys.exit(not os.path.exists(p) or time.time() - os.path.getmtime(p) > 180)"]
CMD ["python", "-m", "bot", "run"]
