"""Knowledge-base validation: one test per kind of error, each naming file, entry and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from kb.loader import KBError, load_kb
from kb.model import Kind

GOOD = """\
entries:
  - id: kk-forum-a
    kind: event
    title: เสวนาพัฒนาเมือง
    questions: [เสวนาจัดเมื่อไหร่]
    answer: จัดที่ขอนแก่น
    starts: 2026-12-12T13:00:00+07:00
    ends: 2026-12-12T16:30:00+07:00
    signup: true
    capacity: 80
"""


def write(tmp_path: Path, body: str, name: str = "kb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def problems(tmp_path: Path, body: str) -> list[str]:
    path = write(tmp_path, body)
    with pytest.raises(KBError) as info:
        load_kb(path)
    return [str(p) for p in info.value.problems]


def entry(extra: str = "", **fields: str) -> str:
    base = {
        "id": "kk-x",
        "kind": "faq",
        "title": "ชื่อ",
        "questions": "[ถาม]",
        "answer": "ตอบ",
    }
    base.update(fields)
    lines = [f"    {k}: {v}" for k, v in base.items() if v != "DROP"]
    lines[0] = "  - " + lines[0].strip()
    return "entries:\n" + "\n".join(lines) + ("\n" + extra if extra else "") + "\n"


def test_valid_file_loads_with_dates_and_source(tmp_path: Path) -> None:
    kb = load_kb(write(tmp_path, GOOD))
    e = kb.get("kk-forum-a")
    assert e is not None and e.kind is Kind.EVENT and e.capacity == 80
    assert e.starts is not None and e.starts.utcoffset() is not None
    assert e.starts.hour == 13
    assert e.source.endswith("kb.yaml:2")


def test_unknown_key_names_file_entry_and_line(tmp_path: Path) -> None:
    found = problems(tmp_path, entry(startz="2026-12-12T13:00:00+07:00"))
    assert len(found) == 1
    assert "kb.yaml:7 [kk-x] unknown key 'startz'" in found[0]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, entry(), "a.yaml")
    write(tmp_path, entry(), "b.yaml")
    with pytest.raises(KBError) as info:
        load_kb(tmp_path)
    (problem,) = info.value.problems
    assert problem.file.endswith("b.yaml") and problem.entry_id == "kk-x"
    assert "duplicate id" in problem.message and "a.yaml:2" in problem.message


@pytest.mark.parametrize("field", ["id", "kind", "title", "questions", "answer"])
def test_missing_required_field(tmp_path: Path, field: str) -> None:
    found = problems(tmp_path, entry(**{field: "DROP"}))
    assert any(f"missing required field '{field}'" in p for p in found), found


def test_bad_date(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, entry(kind="event", starts="2026-13-45T13:00:00+07:00"))
    assert "[kk-x]" in p and "'starts' is not an ISO 8601" in p and ":7 " in p


def test_date_without_time(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, entry(kind="event", starts="2026-12-12"))
    assert "needs a time" in p


def test_ends_before_starts(tmp_path: Path) -> None:
    (p,) = problems(
        tmp_path,
        entry(kind="event", starts="2026-12-12T13:00:00+07:00", ends="2026-12-12T12:00:00+07:00"),
    )
    assert "'ends' is before 'starts'" in p and ":8 " in p


def test_capacity_without_signup(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, entry(capacity="30"))
    assert "'capacity' needs 'signup: true'" in p


@pytest.mark.parametrize("value", ["0", "-5"])
def test_non_positive_capacity(tmp_path: Path, value: str) -> None:
    (p,) = problems(tmp_path, entry(capacity=value, signup="true"))
    assert "'capacity' must be positive" in p


def test_empty_questions(tmp_path: Path) -> None:
    found = problems(tmp_path, entry(questions="[]"))
    assert any("questions" in p and "[kk-x]" in p for p in found), found
    found = problems(tmp_path, entry(questions="['  ']"))
    assert any("questions" in p for p in found), found


def test_bad_id_and_kind(tmp_path: Path) -> None:
    found = problems(tmp_path, entry(id="KK Forum!", kind="party"))
    assert any("id must be lowercase" in p for p in found)
    assert any("kind must be one of" in p for p in found)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, "entries:\n  - id: a\n    title: [unclosed\n")
    assert "YAML syntax error" in p and "kb.yaml:" in p


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    body = entry(capacity="0") + "  - id: kk-y\n    kind: faq\n    title: t\n    answer: a\n"
    found = problems(tmp_path, body)
    assert len(found) >= 2 and any("kk-y" in p for p in found)


def test_check_kb_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-kb", str(write(tmp_path, GOOD))]) == 0
    out = capsys.readouterr().out
    assert "1 entries, valid" in out and "event" in out
    bad = write(tmp_path, entry(capacity="0"), "bad.yaml")
    assert main(["check-kb", str(bad)]) == 1
    assert "'capacity' must be positive" in capsys.readouterr().err


def test_shipped_knowledge_base_is_valid() -> None:
    kb = load_kb(Path(__file__).resolve().parent.parent / "data" / "kb")
    assert len(kb) >= 40
    counts = kb.counts_by_kind()
    assert counts[Kind.PROGRAMME] > 0 and counts[Kind.FAQ] > 0 and counts[Kind.EVENT] > 0
