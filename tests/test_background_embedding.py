"""A knowledge base too large to embed before the first question: the bot answers at once
without the sentence model, embeds in the background, then brings the model into service."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from bot.services import Services
from kb import semantic
from kb.knowledge import Knowledge
from tests.conftest import BANGKOK, ROOT, start_bot

RESIDENT = 7301

KB = """\
entries:
  - id: veg
    kind: programme
    title: อบรมปลูกผักปลอดสารพิษ {token}
    questions: [เรียนปลูกผักอินทรีย์ที่ไหน {token}]
    answer: อบรมปลูกผักทุกเดือนที่ตลาดจอมพล
  - id: fund
    kind: programme
    title: กองทุนสร้างอาชีพ {token}
    questions: [ขอทุนเริ่มอาชีพได้ไหม {token}]
    answer: กู้ยืมเพื่อเริ่มอาชีพ ปลอดดอกเบี้ย
"""


@pytest.mark.skipif(not semantic.available(), reason="the sentence model cannot run here")
async def test_the_model_comes_into_service_after_a_background_start(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    path.write_text(KB.format(token=uuid.uuid4().hex[:8]), encoding="utf-8")  # never embedded
    knowledge = Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)
    async with start_bot(tmp_path, knowledge, embed_budget=0) as env:
        env.server.user(RESIDENT)
        [answer] = await env.send(RESIDENT, "อบรมปลูกผักปลอดสารพิษ")
        assert answer.text.startswith("อบรมปลูกผักปลอดสารพิษ")
        services = Services.of(env.app)
        for _ in range(100):
            if services.knowledge.matcher.semantic:
                break
            await asyncio.sleep(0.1)
        matcher = services.knowledge.matcher
        assert matcher.semantic
        # Calibrated again with the model: its own threshold for choices is set.
        assert matcher.calibration is not None and matcher.calibration.model_suggest < 2
        texts, _ = matcher.phrasings()
        assert semantic.missing(env.settings.vector_path, texts) == []  # kept for a restart
        [answer] = await env.send(RESIDENT, "ขอทุนเริ่มอาชีพได้ไหม")
        assert answer.text.startswith("กองทุนสร้างอาชีพ")
