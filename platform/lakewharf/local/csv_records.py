"""A CSV file's records, counted as Python's csv module counts them, at the speed of a byte scan.

A CSV copy's ``rows_read`` is measured by a reader other than DuckDB's typed one, so that
``read = written + rejected`` can fail: Python's ``csv.reader`` (``strict=False``, doubled quotes,
an escape character; blank lines are no records) is the definition. It costs ~1 µs a record, ~10 s
for TPC-H's lineitem at scale 1, so most of a file is counted with numpy instead, exactly:

- in a stretch of whole records where no escape character and no bare carriage return occurs, and
  every quote opens a field (after a delimiter, a record's end or a doubled quote) or closes one
  (before a delimiter, a line end or a doubled quote), the quotes alternate open/close, and a
  newline ends a record exactly when an even number of quotes precedes it — as in Python's parser;
- anything else (an escape character, a quote inside an unquoted field, a bare ``\\r``, the last
  record without a newline) is read by ``csv.reader`` itself, from the last record boundary to the
  first one past that stretch, and counting goes on from there.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

CHUNK = 16 * 2**20  # bytes scanned at once: bounded memory for any file size


def csv_records(path: str, delim: str, quote: str | None, escape: str | None, *, chunk: int = CHUNK) -> int:
    """Non-empty records of the file as ``csv.reader`` yields them (a header line included)."""
    dialect: dict[str, Any] = {"delimiter": delim, "quotechar": quote or None, "escapechar": escape or None,
                               "strict": False, "quoting": csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE}
    if not all(c is None or (len(c) == 1 and c.isascii()) for c in (delim, quote or None, escape or None)):
        return _python(path, 0, None, dialect)[0]  # a structural byte is not one character: decode it all
    scan = _Scan(ord(delim), ord(quote) if quote else None, escape.encode() if escape else None)
    records, offset, size = 0, 0, chunk
    with open(path, "rb") as f:
        while True:
            f.seek(offset)
            buf = f.read(size)
            if not buf:
                return records
            found = scan.regular(buf)
            if found is None:  # irregular: Python reads past this stretch, then scanning resumes
                counted, offset = _python(path, offset, offset + len(buf), dialect)
                records, size = records + counted, chunk
            elif found[0] == 0 and len(buf) == size:  # no record ends in the chunk: look further
                size *= 2
            elif found[0] == 0:  # the file's last record has no newline
                return records + _python(path, offset, None, dialect)[0]
            else:
                records, offset, size = records + found[1], offset + found[0], chunk


class _Scan:
    def __init__(self, delim: int, quote: int | None, escape: bytes | None) -> None:
        self.delim, self.quote, self.escape = delim, quote, escape

    def regular(self, buf: bytes) -> tuple[int, int] | None:
        """(bytes of the whole records at the start of ``buf``, records among them), or None when
        that stretch holds something only Python's parser can read. ``buf`` starts a record."""
        import numpy as np

        a = np.frombuffer(buf, dtype=np.uint8)
        newlines = np.flatnonzero(a == 10)
        quotes = np.flatnonzero(a == self.quote) if self.quote is not None else newlines[:0]
        ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0] if len(quotes) else newlines
        if not len(ends):  # one record longer than ``buf``, if its quotes are regular so far
            return (0, 0) if self._paired(a, quotes) and (self.escape is None or self.escape not in buf) else None
        size = int(ends[-1]) + 1
        if self.escape is not None and buf.find(self.escape, 0, size) >= 0:
            return None
        if buf.find(b"\r", 0, size) >= 0 and buf.count(b"\r", 0, size) != buf.count(b"\r\n", 0, size):
            return None
        quotes = quotes[quotes < size]
        if len(quotes) and not self._paired(a[:size], quotes):
            return None
        # A blank line (nothing, or only \r, since the previous record's end) is no record.
        previous = np.concatenate(([-1], ends[:-1]))
        blank = (ends == previous + 1) | ((ends == previous + 2) & (a[np.maximum(ends - 1, 0)] == 13))
        return size, len(ends) - int(np.count_nonzero(blank))

    def _paired(self, a: Any, quotes: Any) -> bool:
        import numpy as np

        opening, closing = quotes[0::2], quotes[1::2]
        before = a[np.maximum(opening - 1, 0)]
        doubled_before = np.zeros(len(opening), dtype=bool)
        doubled_before[1:] = closing[: len(opening) - 1] == opening[1:] - 1
        opens = (opening == 0) | (before == self.delim) | (before == 10) | doubled_before
        after = a[np.minimum(closing + 1, len(a) - 1)]
        doubled_after = np.zeros(len(closing), dtype=bool)
        following = opening[1 : len(closing) + 1]
        doubled_after[: len(following)] = following == closing[: len(following)] + 1
        # The last byte of ``a`` is a newline, or a quote whose next byte is not read yet.
        closes = (after == self.delim) | (after == 10) | (after == 13) | doubled_after | (closing == len(a) - 1)
        return bool(opens.all() and closes.all())


def _python(path: str, start: int, stop: int | None, dialect: dict[str, Any]) -> tuple[int, int]:
    """(records from byte ``start``, a record boundary, up to the first boundary at or past
    ``stop`` (None: the end of the file); that boundary). Lines split at \\n, \\r\\n and \\r, as a
    file opened with ``newline=''`` splits them."""
    csv.field_size_limit(2**31 - 1)  # a field is as long as it is; DuckDB bounds the line instead
    consumed = [start]
    records = 0
    with open(path, "rb") as f:
        f.seek(start)

        def lines() -> Iterator[str]:
            for raw in f:
                for line in raw.splitlines(keepends=True) if b"\r" in raw else (raw,):
                    consumed[0] += len(line)
                    yield line.decode("utf-8", errors="replace")

        for row in csv.reader(lines(), **dialect):
            records += bool(row)
            if stop is not None and consumed[0] >= stop:
                break
    return records, consumed[0]
