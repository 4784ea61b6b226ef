"""Load one catalog YAML file into plain JSON-compatible data plus the source position of every node.

Not ``yaml.safe_load``: it drops marks (later errors must say ``file:line:col``), resolves YAML 1.1
scalars (``NO`` → False: the Norway problem), lets duplicate keys silently win, and has no defence against
alias bombs or deep nesting. So a guarded SafeLoader composes nodes and we convert them ourselves.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.composer import Composer
from yaml.cyaml import CParser
from yaml.events import AliasEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from lakewharf.catalog.yaml_c import compose as compose_in_c
from lakewharf.catalog.yaml_core import resolve_plain as _resolve_plain
from lakewharf.catalog.yaml_document import Positions, YamlDocument
from lakewharf.catalog.yaml_plain import NOT_PLAIN, plain_data
from lakewharf.errors import CatalogError, CatalogInvalid, JsonPath

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 50
MAX_NODES = 100_000

_BOM = b"\xef\xbb\xbf"
_PLAIN = "<plain>"  # resolver marker for untagged plain scalars; '<' cannot appear in a real tag
_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + name for name in ("str", "int", "float", "bool", "null")}
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # what PyYAML counts as a new line

_EMPTY_HINT = "expected a mapping of fields, e.g. `name: value` lines"
_SIZE_HINT = "split the catalog into several smaller files"
_DEPTH_MSG = f"nesting deeper than the limit of {MAX_DEPTH} levels"
_DEPTH_HINT = "flatten the structure (an unclosed '[' or '{' can also cause this)"
_ALIAS_HINT = "an alias (*name) copies its anchor each time it is used; use fewer or smaller aliases"
_QUOTE_HINT = "quote the value if you mean it as text"
_RECURSIVE_HINT = "an alias (*name) may not be used inside its own anchor (&name)"
_KEY_HINT = "write the key as a simple name; complex keys ('? [a, b]') are not supported"
_DUPLICATE_HINT = "each key may appear only once in a mapping; remove or rename one of them"
_BINARY_HINT = "catalog files must be UTF-8 text; is this a binary or UTF-16 file?"
_UTF8_HINT = "save the file as UTF-8 (most editors offer 'Save with encoding')"
_SYNTAX_HINTS = (
    ("'\\t'", "YAML indentation must use spaces, not tabs"),
    ("mapping values are not allowed", "a value containing ': ' must be quoted; otherwise check indentation"),
    ("could not find expected ':'", "write `key: value` (colon then space); check indentation and quotes"),
    ("found undefined alias", "define the anchor (&name) before using the alias (*name)"),
    ("found duplicate anchor", "anchor names (&name) must be unique within a file"),
    ("unknown escape character", "in double quotes '\\' starts an escape; use single quotes for paths"),
    ("end of stream", "a quote, bracket or brace is not closed"),
    ("expected '<document start>'", "a file holds one document; remove the '...' line and what follows"),
    ("expected <block end>", "check the indentation: entries of one mapping or list must line up"),
    ("", "check indentation, colons, quotes and brackets near this position"),  # fallback
)


class _Stop(Exception):
    """One located problem that ends loading (syntax, limits); not a YAMLError so PyYAML lets it through."""

    def __init__(self, where: tuple[int, int], message: str, hint: str = "", path: JsonPath = ()) -> None:
        super().__init__(message)
        self.where, self.message, self.hint, self.path = where, message, hint, path

    def error(self, file: str) -> CatalogError:
        return CatalogError(file, *self.where, self.path, self.message, self.hint)


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)  # PyYAML marks are 0-based


def _text_pos(before: str) -> tuple[int, int]:
    """(line, column) just after ``before``, counting line breaks the way PyYAML does."""
    lines = _LINE_BREAK.split(before)
    return (len(lines), len(lines[-1]) + 1)


class _AliasRef(NamedTuple):
    """An alias occurrence: keeps where ``*name`` was written (PyYAML would hand back only the anchor)."""

    target: Node
    start_mark: Any


def _target(node: Any) -> Any:
    return node.target if isinstance(node, _AliasRef) else node


class _Guarded:
    """Composes nodes only, with depth and node-count limits so hostile input fails fast and flat."""

    _depth = 0  # per-instance once incremented
    _composed = 0

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN  # we apply the YAML 1.2 core schema ourselves
        return super().resolve(kind, value, implicit)  # type: ignore[misc]

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[attr-defined]
        # count values (not keys), the same unit as the alias-expansion limit; bounds memory too
        self._composed += not (index is None and isinstance(parent, MappingNode))
        if self._composed > MAX_NODES:
            raise _Stop(_mark(event.start_mark), f"too many YAML values (limit {MAX_NODES:,})", _SIZE_HINT)
        if self._depth >= MAX_DEPTH:  # the composer recurses; stop long before Python's recursion limit
            raise _Stop(_mark(event.start_mark), _DEPTH_MSG, _DEPTH_HINT)
        self._depth += 1  # any exception below ends loading, so no try/finally
        node = super().compose_node(parent, index)  # type: ignore[misc]
        self._depth -= 1
        return _AliasRef(node, event.start_mark) if isinstance(event, AliasEvent) else node


class _GuardedLoader(_Guarded, yaml.SafeLoader):
    """The pure-Python scanner and parser: the reference, and the one whose errors are reported."""


class _FastLoader(_Guarded, CParser, Composer, Resolver):  # type: ignore[misc]
    """libyaml scans and parses (5x faster on a 1,000-table catalog); the same guarded composer
    builds the nodes. Used for files that load without a problem; any problem is re-read by
    _GuardedLoader so messages and positions are PyYAML's own."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        Composer.__init__(self)
        Resolver.__init__(self)


def _compose(loader: _Guarded) -> Any:
    loader.get_event()  # StreamStartEvent
    if loader.check_event(StreamEndEvent):
        return None
    root = loader.compose_document()
    if not loader.check_event(StreamEndEvent):
        hint = "a catalog file holds one document: remove the extra '---' or split the file"
        raise _Stop(_mark(loader.peek_event().start_mark), "more than one YAML document in this file", hint)
    return root


class _Converter:
    """Turns composed nodes into plain data, recording positions and collecting recoverable problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[JsonPath, tuple[int, int]] = {}
        self.keys: dict[JsonPath, tuple[int, int]] = {}
        self.errors: list[CatalogError] = []
        self.count = 0
        self.alias_mark: Any = None  # outermost alias being expanded: where an alias bomb is reported
        self.active: set[int] = set()  # collections being converted, to catch self-containing aliases
        self.flat: dict[int, dict[str, tuple[Any, Any]]] = {}  # memo: merge bombs stay linear
        self.flattening: set[int] = set()
        self.reported: set[tuple[int, int, str]] = set()  # an aliased bad node is reported once

    def problem(self, node: Any, path: JsonPath, message: str, hint: str) -> None:
        line, column = _mark(node.start_mark)
        if (line, column, message) not in self.reported:
            self.reported.add((line, column, message))
            self.errors.append(CatalogError(self.file, line, column, path, message, hint))

    def bad_tag(self, node: Any, path: JsonPath, tag: str, where: str = "") -> None:
        shown = "!!" + tag.removeprefix(_T) if tag.startswith(_T) else tag
        self.problem(node, path, f"unsupported tag {shown}{where}", "remove the tag; plain YAML is expected")

    def value(self, node: Any, path: JsonPath, depth: int, mark: Any = None) -> Any:
        if isinstance(node, _AliasRef):
            outer = self.alias_mark
            self.alias_mark = outer or node.start_mark  # report the alias written at top level
            result = self.value(node.target, path, depth, node.start_mark)
            self.alias_mark = outer
            return result
        mark = mark or node.start_mark
        self.count += 1
        if self.count > MAX_NODES:
            msg = f"too many nodes after alias expansion (possible alias bomb; limit {MAX_NODES:,})"
            raise _Stop(_mark(self.alias_mark or mark), msg, _ALIAS_HINT, path)
        if depth > MAX_DEPTH:
            raise _Stop(_mark(mark), _DEPTH_MSG + " after alias expansion", _DEPTH_HINT, path)
        self.values[path] = _mark(mark)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            raise _Stop(_mark(mark), "recursive alias: this value contains itself", _RECURSIVE_HINT, path)
        if node.tag != _T + ("seq" if isinstance(node, SequenceNode) else "map"):
            self.bad_tag(node, path, node.tag)
        self.active.add(id(node))  # only _Stop escapes below, and it ends loading: no try/finally needed
        if isinstance(node, SequenceNode):
            result: Any = [self.value(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        else:
            result = {}
            for key, (key_node, value_node) in self.entries(node, path, 0).items():
                self.keys[(*path, key)] = _mark(key_node.start_mark)
                result[key] = self.value(value_node, (*path, key), depth + 1)
        self.active.discard(id(node))
        return result

    def scalar(self, node: ScalarNode, path: JsonPath) -> Any:
        text, tag = node.value, node.tag
        if tag == _T + "str":
            return text
        if tag not in _SCALAR_TAGS and tag != _PLAIN:
            self.bad_tag(node, path, tag)
            return None
        try:
            value = _resolve_plain(text)
        except ValueError as exc:
            self.problem(node, path, str(exc), _QUOTE_HINT)
            return None
        kind = tag.removeprefix(_T)
        fits = {"int": type(value) is int, "float": type(value) in (int, float), "bool": type(value) is bool}
        if tag != _PLAIN and not fits.get(kind, value is None):  # explicit !!int etc. must match
            msg = f"{text[:40]!r} is not a valid !!{kind} (YAML 1.2 core schema)"
            self.problem(node, path, msg, "booleans are true/false, null is null or ~; or drop the tag")
            return None
        return float(value) if kind == "float" else value

    def entries(self, node: MappingNode, path: JsonPath, depth: int) -> dict[str, tuple[Any, Any]]:
        """Key → (key node, value node) after applying ``<<`` merges; explicit keys win over merged."""
        if id(node) in self.flat:
            return self.flat[id(node)]
        if depth > MAX_DEPTH or id(node) in self.flattening:
            msg = "merge keys ('<<') nest too deeply or merge a mapping into itself"
            raise _Stop(_mark(node.start_mark), msg, "merge mappings that do not refer back to it", path)
        self.flattening.add(id(node))
        explicit: dict[str, Any] = {}  # key → its key node
        out: dict[str, tuple[Any, Any]] = {}
        for key_node, value_node in node.value:
            key = _target(key_node)
            if isinstance(key, ScalarNode) and key.tag == _PLAIN and key.value == "<<":
                for source in self.merge_sources(value_node, path):
                    for name, entry in self.entries(source, path, depth + 1).items():
                        out.setdefault(name, entry)  # explicit keys and earlier sources win
            elif not isinstance(key, ScalarNode):
                self.problem(
                    key_node, path, "mapping keys must be plain scalars, not a mapping or list", _KEY_HINT
                )
            elif key.tag not in (_PLAIN, _T + "str"):
                self.bad_tag(key_node, path, key.tag, " on a mapping key")
            elif key.value in explicit:
                first = _mark(explicit[key.value].start_mark)[0]
                msg = f"duplicate key {key.value!r} (first defined on line {first})"
                self.problem(key_node, (*path, key.value), msg, _DUPLICATE_HINT)
            else:
                explicit[key.value] = key_node
                out.pop(key.value, None)  # overrides a key merged in earlier
                out[key.value] = (key_node, value_node)
        self.flattening.discard(id(node))
        self.flat[id(node)] = out
        return out

    def merge_sources(self, value_node: Any, path: JsonPath) -> list[MappingNode]:
        value = _target(value_node)
        if isinstance(value, MappingNode):
            return [value]
        if isinstance(value, SequenceNode) and all(isinstance(_target(i), MappingNode) for i in value.value):
            return [_target(i) for i in value.value]
        msg = "merge key '<<' needs a mapping or a list of mappings"
        self.problem(value_node, path, msg, "use it as `<<: *defaults` or `<<: [*a, *b]`")
        return []


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> _Stop:
    mark = exc.problem_mark or exc.context_mark
    where = _mark(mark)
    message = f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}"
    if exc.problem and exc.context:
        context_at = _mark(exc.context_mark) if exc.context_mark else where
        message += f" ({exc.context} at line {context_at[0]}, column {context_at[1]})"
    hint = next(h for needle, h in _SYNTAX_HINTS if needle in message)
    lines = _LINE_BREAK.split(text)
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "\t" in line[: len(line) - len(line.lstrip(" \t"))]:
        hint = _SYNTAX_HINTS[0][1]  # PyYAML's tab errors are cryptic; a tab in the indent is the cause
    return _Stop(where, message, hint)


def _compose_text(text: str, kind: type[_GuardedLoader] | type[_FastLoader]) -> Any:
    loader = kind(text)
    try:
        return _compose(loader)
    finally:
        loader.dispose()


def _too_big(size: int) -> _Stop:
    return _Stop((1, 1), f"file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} (2 MiB)", _SIZE_HINT)


def _load(data: bytes, file: str) -> YamlDocument:
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(len(data))
    data = data.removeprefix(_BOM)
    if (nul := data.find(b"\0")) >= 0:
        where = _text_pos(data[:nul].decode(errors="replace"))  # columns count characters, not bytes
        raise _Stop(where, "binary file, not YAML text (it contains a NUL byte)", _BINARY_HINT)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        raise _Stop(_text_pos(data[: exc.start].decode()), msg, _UTF8_HINT) from None
    if (composed := compose_in_c(text, _PLAIN, MAX_NODES)) is not None:
        if (data := plain_data(composed, _PLAIN, MAX_DEPTH)) is not NOT_PLAIN:
            return YamlDocument(file, data, text=text)  # its positions are found if ever asked for
        if doc := _converted(composed, file, text):
            return doc  # libyaml composed it and nothing was wrong; else the guarded path below decides
    try:
        root = _compose_text(text, _FastLoader)
    except Exception:  # any problem: report what the reference parser says about it
        root = None
    try:
        if root is None:
            root = _compose_text(text, _GuardedLoader)  # the reader rejects control characters right here
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text) from None
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        msg = f"control character U+{ord(char):04X} is not allowed in YAML"
        raise _Stop(_text_pos(text[: exc.position]), msg, "remove it, or re-save the file as UTF-8") from None
    if root is None or (isinstance(root, ScalarNode) and root.tag == _PLAIN and root.value == ""):
        raise _Stop((1, 1), "file is empty", _EMPTY_HINT)
    converter = _Converter(file)
    data_out = converter.value(root, (), 1)
    if converter.errors:
        raise CatalogInvalid(converter.errors)
    return YamlDocument(file, data_out, converter.values, converter.keys, text=text)


def _converted(root: Node, file: str, text: str) -> YamlDocument | None:
    converter = _Converter(file)
    try:
        data = converter.value(root, (), 1)
    except _Stop:
        return None
    return None if converter.errors else YamlDocument(file, data, converter.values, converter.keys, text=text)


def positions(text: str, file: str) -> tuple[Positions, Positions]:
    """(value positions, key positions) of a text ``_load`` read as plain: the converter's, on
    the nodes libyaml composes from it again."""
    composed = compose_in_c(text, _PLAIN, MAX_NODES) or _compose_text(text, _GuardedLoader)
    converter = _Converter(file)
    converter.value(composed, (), 1)
    return converter.values, converter.keys


def load_yaml_text(text_bytes: bytes, file: str) -> YamlDocument:
    """Parse one YAML document; every problem (even an internal bug) is raised as ``CatalogInvalid``."""
    try:
        return _load(bytes(text_bytes), file)
    except CatalogInvalid:
        raise
    except _Stop as exc:
        stop = exc
    except RecursionError:
        stop = _Stop((1, 1), _DEPTH_MSG, _DEPTH_HINT)
    except MemoryError:
        stop = _Stop((1, 1), "file needs too much memory to load", _SIZE_HINT)
    except Exception as exc:  # a bug here must still not become a traceback for the user
        stop = _Stop((1, 1), f"internal error reading YAML: {type(exc).__name__}: {exc}", "report this bug")
    raise CatalogInvalid([stop.error(file)]) from None


def load_yaml_file(path: Path, file: str) -> YamlDocument:
    """Check the size with stat before reading, so a huge file is never pulled into memory."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            stop = _Stop((1, 1), "not a regular file", "point the catalog at a .yaml file")
        elif info.st_size > MAX_FILE_BYTES:
            stop = _too_big(info.st_size)
        else:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
            return load_yaml_text(data, file)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        stop = _Stop((1, 1), f"cannot read file: {reason}", "check the path and its permissions")
    raise CatalogInvalid([stop.error(file)]) from None
