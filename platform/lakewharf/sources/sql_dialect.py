"""The SQL a database kind's generated queries are written in (the watermark pattern's pieces).

Each database kind module subclasses ``SqlDialect`` for its engine; the generated queries are
what Data Factory sends to the source, and ``sqlglot`` (the dialect's ``sqlglot`` name) is how the
local runner reads them back to run them on DuckDB.

Watermarks travel as text in one format whatever the source: ISO 8601 for dates and timestamps,
decimal digits for integers (``as_text``), and are compared as typed values (``typed``).
"""

from __future__ import annotations

from lakewharf.model.catalog import Entity

WATERMARK_KINDS = ("timestamp", "date", "integer")


def split_table(table: str) -> tuple[str | None, str]:
    schema, _, name = table.rpartition(".")
    return (schema or None), name


class SqlDialect:
    """ANSI spelling; subclasses change what their engine spells differently."""

    sqlglot = ""  # sqlglot's dialect name

    def ident(self, name: str) -> str:
        return f'"{name}"'

    def alias(self, name: str) -> str:
        """A result column the pipeline reads by name (``firstRow.watermark``): its case must hold."""
        return self.ident(name)

    def table(self, table: str) -> str:
        schema, name = split_table(table)
        return ".".join(self.ident(p) for p in (schema, name) if p)

    def text(self, value: str) -> str:
        return f"'{value}'"

    def as_text(self, expression: str, watermark: str) -> str:
        """``expression`` (a MAX of the watermark column) as the watermark text."""
        raise NotImplementedError

    def typed(self, text: str, watermark: str) -> str:
        """The watermark text ``text`` as a value comparable with the column."""
        raise NotImplementedError

    def select(self, entity: Entity) -> str:
        assert entity.table is not None
        columns = ", ".join(self.ident(c.name) for c in entity.columns)
        return f"SELECT {columns} FROM {self.table(entity.table)}"
