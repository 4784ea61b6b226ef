"""Batches of a generated script (lakewharf.generate.preparations.split_batches)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lakewharf.generate.preparations import _split_by_lines, split_batches


def test_go_lines_end_batches_and_comment_batches_are_dropped() -> None:
    script = ("-- header\n-- more\nGO\nCREATE TABLE a (x INT);\n  go  \n\nSELECT 1;\n-- note\nGo\n"
              "-- only comments\n\n-- and blanks\n")
    assert split_batches(script) == ["CREATE TABLE a (x INT);", "SELECT 1;\n-- note"]
    assert split_batches("SELECT 1\nGO\n-- a\n\n-- b\nGO\nSELECT 2") == ["SELECT 1", "-- a\n\n-- b", "SELECT 2"]
    assert split_batches("GO\nSELECT 1\ngo") == split_batches("go\n\nSELECT 1\n GO\n") == ["SELECT 1"]


_LINES = st.sampled_from(["GO", "go", " Go\t", "GO;", "GOTO x", "-- c", "  -- c", "", " ", "SELECT 1;", "x\ty",
                          "\r", "\x0b", "\x1f", "é", "\u2028", "G\u200bO", "\x85", "\xa0GO", "GO\u3000", "ｇｏ", "→ x"])


@settings(max_examples=2000, deadline=None)
@given(lines=st.lists(_LINES, max_size=14), end=st.sampled_from(["", "\n", "\r\n"]))
def test_the_search_splits_as_the_line_by_line_reading(lines: list[str], end: str) -> None:
    script = "\n".join(lines) + end
    assert split_batches(script) == _split_by_lines(script)


def test_every_blank_python_strips_is_known() -> None:
    import sys

    from lakewharf.generate.preparations import _OTHER_BLANK_CHARS

    blanks = {chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace() or len(f"a{chr(i)}b".splitlines()) > 1}
    assert blanks - set(_OTHER_BLANK_CHARS) == {"\n", " ", "\t"}
    assert len(_OTHER_BLANK_CHARS) == len(set(_OTHER_BLANK_CHARS)) and set(_OTHER_BLANK_CHARS) <= blanks
