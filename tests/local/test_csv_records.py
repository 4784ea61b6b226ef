"""The fast CSV record count equals Python's csv module's count, on any bytes, at any chunk size."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lakewharf.local.csv_records import csv_records

DIALECTS = [(",", '"', "\\"), (",", '"', ""), (";", "", ""), (",", '"', '"')]


def _python_count(path: Path, delim: str, quote: str, escape: str) -> int:
    csv.field_size_limit(2**31 - 1)
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delim, quotechar=quote or None, escapechar=escape or None, strict=False,
                            quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE)
        return sum(1 for row in reader if row)


def _field() -> st.SearchStrategy[bytes]:
    text = st.binary(max_size=5).map(lambda b: bytes(b"ab ,\n\r\"\\;\xff"[x % 10] for x in b))
    return st.one_of(text.filter(lambda v: not set(v) & set(b',\n\r"\\')),
                     text.map(lambda v: b'"' + v.replace(b'"', b'""') + b'"'))


# Mostly well-formed records (the numpy path), with a stray byte now and then (Python's path).
_records = st.lists(st.tuples(st.lists(_field(), min_size=1, max_size=4),
                              st.sampled_from([b"\n", b"\r\n", b"\n\n", b"\r", b""])), max_size=8).map(
    lambda rs: b"".join(b",".join(fs) + end for fs, end in rs))
_noise = st.binary(max_size=60).map(lambda b: bytes(b'ab,"\n\r\\;'[x % 8] for x in b))
_data = st.one_of(_records, _noise, st.tuples(_records, st.integers(0, 200), st.sampled_from(b'"\\\r,\n')).map(
    lambda t: t[0][: t[1]] + bytes([t[2]]) + t[0][t[1]:]))


@settings(max_examples=400, deadline=None)
@given(data=_data, chunk=st.sampled_from([1, 2, 3, 7, 64, 2**20]), dialect=st.sampled_from(DIALECTS))
def test_the_count_equals_pythons_csv_module(tmp_path_factory, data: bytes, chunk: int,
                                             dialect: tuple[str, str, str]) -> None:
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_bytes(data)
    assert csv_records(str(path), *dialect, chunk=chunk) == _python_count(path, *dialect)


def test_records_longer_than_a_chunk_and_quoted_newlines_are_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    lines = [b'id,name,note\n', b'1,"a, b",x\n', b'2,"two\nlines",y\r\n', b'\n', b'3,"' + b"X" * 100_000 + b'",z\n',
             b'4,"say ""hi""",w\n'] * 50
    path.write_bytes(b"".join(lines) + b"5,last,no newline")
    for chunk in (1024, 2**20):
        assert csv_records(str(path), ",", '"', "\\", chunk=chunk) == _python_count(path, ",", '"', "\\") == 251
