"""The loader reads one entry at a time: errors still name the right line and entry id, however
far down the file, and everything around the entries list is still checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.loader import KBError, load_kb


def entry(i: int, extra: str = "") -> str:
    return (
        f"  - id: e{i}\n"
        "    kind: faq\n"
        f"    title: เรื่องที่ {i}\n"
        f"    questions: [ถามเรื่อง {i}, อีกแบบ {i}]\n"
        "    answer: |\n"
        "      ตอบ\n"
        "      บรรทัดสอง\n" + extra
    )


def problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "kb.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(KBError) as info:
        load_kb(path)
    return [str(p) for p in info.value.problems]


def line_of(body: str, text: str) -> int:
    return body[: body.index(text)].count("\n") + 1


def test_error_far_down_names_its_line_and_id(tmp_path: Path) -> None:
    body = "entries:\n" + "".join(
        entry(i, "    capacity: 5\n" if i == 1500 else "") for i in range(2000)
    )
    (found,) = problems(tmp_path, body)
    line = line_of(body, "    capacity: 5\n")
    assert line > 10_000
    assert found == f"{tmp_path / 'kb.yaml'}:{line} [e1500] 'capacity' needs 'signup: true'"


def test_an_error_in_each_of_two_entries_reports_both(tmp_path: Path) -> None:
    body = "entries:\n" + entry(1, "    startz: x\n") + entry(2, "    max_people: 50\n")
    found = problems(tmp_path, body)
    assert len(found) == 2, found
    assert f":{line_of(body, '    startz')} [e1] unknown key 'startz'" in found[0]
    assert f":{line_of(body, '    max_people')} [e2] 'max_people' must be" in found[1]


def test_entry_that_is_no_mapping_far_down(tmp_path: Path) -> None:
    body = "entries:\n" + "".join(entry(i) for i in range(500)) + "  - just text\n"
    (found,) = problems(tmp_path, body)
    assert f":{line_of(body, '  - just text')} each entry must be a mapping" in found


def test_top_level_keys_around_entries_are_still_checked(tmp_path: Path) -> None:
    body = "version: 1\nentries:\n" + entry(1, "    bad: 1\n") + "extra: [a, b]\n"
    found = problems(tmp_path, body)
    assert len(found) == 3, found
    assert found[0].endswith("kb.yaml:1 unknown top-level key 'version'")
    assert found[1].endswith(f"kb.yaml:{line_of(body, 'extra:')} unknown top-level key 'extra'")
    assert f"kb.yaml:{line_of(body, '    bad')} [e1] unknown key 'bad'" in found[2]


def test_syntax_error_after_bad_entries_is_the_only_problem(tmp_path: Path) -> None:
    body = "entries:\n" + entry(1, "    capacity: 0\n") + entry(2) + "  - id: [unclosed\n"
    (found,) = problems(tmp_path, body)
    assert "YAML syntax error" in found


def test_aliases_across_entries_still_work(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    path.write_text(
        "shared: &kw [ขอนแก่น]\n"  # an unknown key, but its anchor must be usable
        "entries:\n" + entry(1, "    keywords: *kw\n") + entry(2, "    keywords: *kw\n"),
        encoding="utf-8",
    )
    with pytest.raises(KBError) as info:
        load_kb(path)
    (problem,) = info.value.problems
    assert str(problem).endswith("kb.yaml:1 unknown top-level key 'shared'")
    path.write_text(
        "entries:\n" + entry(1, "    keywords: &kw [ขอนแก่น]\n") + entry(2, "    keywords: *kw\n"),
        encoding="utf-8",
    )
    kb = load_kb(path)
    assert [e.keywords for e in kb.entries] == [("ขอนแก่น",), ("ขอนแก่น",)]
    assert kb.entries[1].answer == "ตอบ\nบรรทัดสอง"
