"""The sentence model's part of the matcher: its vector cache, and what it adds."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from kb import semantic
from kb.knowledge import Knowledge
from tests.conftest import BANGKOK, ROOT

pytestmark = pytest.mark.skipif(
    not semantic.available(), reason="the sentence model cannot run here"
)

SMALL_KB = """\
entries:
  - id: veg
    kind: programme
    title: อบรมปลูกผักปลอดสารพิษ
    questions: [เรียนปลูกผักอินทรีย์ที่ไหน]
    answer: อบรมปลูกผักทุกเดือนที่ตลาดจอมพล
  - id: full
    kind: faq
    title: กิจกรรมเต็มแล้วทำอย่างไร
    questions: [ที่นั่งเต็มแล้วสมัครได้ไหม]
    answer: ลงชื่อรอคิวไว้ได้ ถ้ามีคนยกเลิกจะแจ้งทันที
"""


def _small(tmp_path: Path) -> Knowledge:
    path = tmp_path / "kb.yaml"
    path.write_text(SMALL_KB, encoding="utf-8")
    return Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)


def test_vectors_are_cached_beside_the_database(tmp_path: Path) -> None:
    cache = tmp_path / "vectors.npz"
    k = _small(tmp_path).prepare(latin=False, vector_cache=cache)
    assert k.matcher.semantic
    with np.load(cache) as data:
        keys, vectors = data["keys"], data["vectors"]
    # Every phrasing once (title and questions of both entries), unit length.
    assert keys.shape == (4, 12)
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)
    # A restart reads them back and answers exactly as before.
    again = _small(tmp_path).prepare(latin=False, vector_cache=cache)
    q = "ปลูกผักไร้สารเคมีเรียนได้ที่ไหน"
    assert again.matcher.match(q).ranked == k.matcher.match(q).ranked


def test_a_broken_cache_file_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "vectors.npz"
    cache.write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING):
        k = _small(tmp_path).prepare(latin=False, vector_cache=cache)
    assert k.matcher.semantic
    assert "ignoring the vector cache" in caplog.text
    with np.load(cache) as data:  # written again, whole
        assert data["vectors"].shape[1] == 384


def test_the_model_lifts_a_paraphrase_over_the_line(tmp_path: Path) -> None:
    # "Seats all gone, can I wait?" shares only ที่นั่ง with its entry: too little for the
    # lexical matcher to answer, enough with the sentence model's judgement of the whole.
    q = "ที่นั่งหมดแล้วรอได้ไหม"
    lexical = _small(tmp_path).matcher.match(q)
    blended = _small(tmp_path).prepare(latin=False).matcher.match(q)
    assert lexical.answer_id is None and lexical.ranked[0].entry_id == "full"
    assert blended.answer_id == "full"


def test_too_many_phrasings_make_one_passage_an_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A very large knowledge base is embedded once an entry (title, phrasings, keywords, the
    # opening of the answer), not once a phrasing: memory and start-up stay bounded.
    monkeypatch.setattr(semantic, "UNIT_LIMIT", 3)
    k = _small(tmp_path).prepare(latin=False)
    assert k.matcher.semantic
    texts, starts = k.matcher.phrasings()
    assert len(texts) == len(k.kb) and starts == list(range(len(k.kb)))
    assert texts[0].startswith(k.kb.entries[0].title + " | ")
    assert k.matcher.match("เรียนปลูกผักอินทรีย์ที่ไหน").answer_id == "veg"


def test_over_the_budget_the_model_waits_for_the_background(tmp_path: Path) -> None:
    # The bot starts answering lexically; the texts are embedded in the background, and the
    # next prepare puts the model in service without embedding anything more.
    import uuid

    path = tmp_path / "kb.yaml"
    token = uuid.uuid4().hex[:8]  # texts this process has never embedded
    path.write_text(SMALL_KB.replace("อบรมปลูกผักปลอดสารพิษ", f"อบรมปลูกผัก {token}"))
    k = Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)
    texts, _ = k.matcher.phrasings()
    cache = semantic.VectorCache(tmp_path / "vectors.npz")
    assert cache.missing(texts) >= 1
    assert not k.matcher.prepare_semantic(cache, budget=0)
    assert not k.matcher.semantic
    assert k.matcher.embed_missing(cache) == len(texts)
    assert cache.missing(texts) == 0
    assert k.matcher.prepare_semantic(cache, budget=0)
    assert k.matcher.semantic


def test_the_model_reads_every_question(knowledge: Knowledge) -> None:
    # Hardly a word of this question is in its entry (อบรมใช้สมาร์ตโฟนสำหรับผู้สูงอายุ): the
    # model, asked every time, sees what it is about.
    result = knowledge.matcher.match("teach old people to use smartphones")
    assert result.answer_id == "ex-digital-skills-elderly"


def test_the_shipped_calibration_vectors_cover_the_calibration_questions() -> None:
    from kb import calibration

    questions = calibration.load_questions(calibration.DEFAULT_PATH)
    lacking = semantic.missing(semantic.shipped_path(calibration.DEFAULT_PATH), questions)
    assert not lacking, f"run `python -m bot vectors`: no vectors for {lacking[:3]}"


@pytest.mark.parametrize("folder", ["kb", "examples"])
def test_the_shipped_vectors_cover_the_shipped_knowledge_base(folder: str) -> None:
    # Without them a fresh install spends its first start (about ten seconds) embedding the
    # knowledge base; after editing data/kb, `python -m bot vectors` writes them again. The
    # example events (data/examples, loaded by chat and eval) ship theirs beside them.
    path = ROOT / "data" / folder
    texts, _ = Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK).matcher.phrasings()
    lacking = semantic.missing(semantic.shipped_path(path), texts)
    assert not lacking, f"run `python -m bot vectors`: no vectors for {lacking[:3]}"


class _CountingModel:
    """Stands in for the engine where the test must see what would be embedded."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def many(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        rng = np.random.default_rng(len(self.embedded))
        vecs = rng.normal(size=(len(texts), 384)).astype(np.float32)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def test_a_fresh_install_embeds_only_what_the_shipped_file_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped, runtime = tmp_path / "kb.vectors.npz", tmp_path / "vectors.npz"
    texts = [f"วลีทดสอบไฟล์ที่มากับฐานความรู้ {i}" for i in range(3)]
    writer = semantic.VectorCache(shipped)
    first = writer.vectors(texts[:2], _CountingModel())  # type: ignore[arg-type]
    writer.save()
    monkeypatch.setattr(semantic, "_memory", {})  # a new process: only the files remain

    model = _CountingModel()
    cache = semantic.VectorCache(runtime, shipped)
    got = cache.vectors(texts, model)  # type: ignore[arg-type]
    assert model.embedded == texts[2:]
    assert np.array_equal(got[:2], first)
    cache.save()
    # The cache beside the database holds the whole knowledge base; the shipped file is
    # only read.
    assert semantic.missing(runtime, texts) == []
    assert semantic.missing(shipped, texts) == texts[2:]


def test_the_vectors_command_writes_the_shipped_file(tmp_path: Path) -> None:
    from tests.test_cli import run_cli

    kb = tmp_path / "kb.yaml"
    kb.write_text(SMALL_KB, encoding="utf-8")
    done = run_cli("vectors", "--kb", str(kb))
    assert done.returncode == 0, done.stderr
    assert "vectors of 4 phrasings" in done.stdout
    texts, _ = Knowledge.load(kb, ROOT / "data" / "lexicon.yaml", BANGKOK).matcher.phrasings()
    assert semantic.missing(tmp_path / "kb.vectors.npz", texts) == []
