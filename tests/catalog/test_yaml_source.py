"""Tests for the located, hardened YAML loader (lakewharf.catalog.yaml_source)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakewharf.catalog import yaml_source
from lakewharf.catalog.yaml_source import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    YamlDocument,
    load_yaml_file,
    load_yaml_text,
)
from lakewharf.errors import CatalogError, CatalogInvalid

FILE = "catalog/sources/crm.yaml"


def load(text: str | bytes) -> YamlDocument:
    return load_yaml_text(text.encode() if isinstance(text, str) else text, FILE)


def errors_of(text: str | bytes) -> list[CatalogError]:
    with pytest.raises(CatalogInvalid) as info:
        load(text)
    assert info.value.errors, "CatalogInvalid must carry at least one error"
    assert all(error.file == FILE for error in info.value.errors)
    return info.value.errors


def one_error(text: str | bytes) -> CatalogError:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


# --- valid documents and positions ---------------------------------------------------------------

VALID = """\
name: crm
entities:
  customers:
    columns:
      - name: id
        type: int
      - {name: email, type: string}
"""


def test_valid_document_data_and_positions() -> None:
    doc = load(VALID)
    assert doc.file == FILE
    assert doc.data == {
        "name": "crm",
        "entities": {
            "customers": {"columns": [{"name": "id", "type": "int"}, {"name": "email", "type": "string"}]}
        },
    }
    assert list(doc.data) == ["name", "entities"]  # insertion order kept
    assert doc.value_positions[()] == (1, 1)
    assert doc.key_positions[("name",)] == (1, 1)
    assert doc.value_positions[("name",)] == (1, 7)
    assert doc.key_positions[("entities", "customers")] == (3, 3)
    assert doc.key_positions[("entities", "customers", "columns")] == (4, 5)
    assert doc.value_positions[("entities", "customers", "columns", 0)] == (5, 9)
    assert doc.key_positions[("entities", "customers", "columns", 0, "type")] == (6, 9)
    assert doc.value_positions[("entities", "customers", "columns", 0, "type")] == (6, 15)
    assert doc.value_positions[("entities", "customers", "columns", 1)] == (7, 9)
    assert doc.key_positions[("entities", "customers", "columns", 1, "type")] == (7, 23)
    assert doc.value_positions[("entities", "customers", "columns", 1, "type")] == (7, 29)
    json.dumps(doc.data)  # plain JSON-compatible data


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted(p.relative_to(REPO).as_posix() for p in (REPO / "catalog").rglob("*.yaml")))
def test_libyaml_composed_files_load_as_the_guarded_composer_loads_them(
        path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (REPO / path).read_bytes()
    assert yaml_source.compose_in_c(data.decode(), yaml_source._PLAIN, MAX_NODES) is not None  # the fast path ran
    fast = load_yaml_text(data, path)
    assert fast.value_positions and fast.key_positions  # found now, on the nodes libyaml composes
    monkeypatch.setattr(yaml_source, "compose_in_c", lambda *args: None)
    assert load_yaml_text(data, path) == fast  # the same data and the same positions


def test_a_file_with_an_anchor_takes_the_guarded_composer() -> None:
    # libyaml hands back the anchor's node for an alias; the alias's own position would be lost.
    assert yaml_source.compose_in_c("a: &x 1\nb: *x\n", yaml_source._PLAIN, MAX_NODES) is None
    assert load("a: &x 1\nb: *x\n").locate(("b",)) == (2, 4)


def test_locate_prefers_key_then_falls_back_to_ancestors() -> None:
    doc = load(VALID)
    path = ("entities", "customers", "columns", 0, "type")
    assert doc.locate(path) == (6, 15)
    assert doc.locate(path, key=True) == (6, 9)
    assert doc.locate(("entities", "customers", "columns", 0), key=True) == (5, 9)  # list item: no key
    assert doc.locate(("entities", "customers", "missing", "deeper")) == (4, 5)
    assert doc.locate(("nope",), key=True) == (1, 1)
    error = doc.error(["entities", "customers", "columns", 1, "type"], "bad type", "use int", key=True)
    path1 = ("entities", "customers", "columns", 1, "type")
    assert error == CatalogError(FILE, 7, 23, path1, "bad type", "use int")
    assert error.hint == "use int"


def test_crlf_line_endings_and_bom_are_accepted() -> None:
    doc = load(b"\xef\xbb\xbfa: 1\r\nb:\r\n  c: [x, y]\r\n")
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"]}}
    assert doc.key_positions[("a",)] == (1, 1)  # the BOM takes no column
    assert doc.value_positions[("b", "c", 1)] == (3, 10)


def test_norway_problem_yaml_12_core_schema() -> None:
    doc = load(
        "countries: [NO, SE]\nflags: [yes, no, on, off, y, n, Yes, True, FALSE, true, tRUE]\n"
        "nulls: [~, null, Null, NULL, nULL]\nempty:\n"
        "numbers: [12, +5, 012, 0x1F, 0o17, 1_000, 1.5, 1e3, .5, 3., 0b1, -0x1]\n"
        "when: 2024-01-01\nclock: 12:30:00\n"
        "on: 1\nyes: 2\n1: 3\nnull: 4\n"
    )
    assert doc.data["countries"] == ["NO", "SE"]
    assert doc.data["flags"] == ["yes", "no", "on", "off", "y", "n", "Yes", True, False, True, "tRUE"]
    assert doc.data["nulls"] == [None, None, None, None, "nULL"]
    assert doc.data["empty"] is None
    assert doc.data["numbers"] == [12, 5, 12, 31, 15, "1_000", 1.5, 1000.0, 0.5, 3.0, "0b1", "-0x1"]
    assert [type(n) for n in doc.data["numbers"][:5]] == [int] * 5
    assert doc.data["when"] == "2024-01-01"  # timestamps stay strings
    assert doc.data["clock"] == "12:30:00"  # no YAML 1.1 sexagesimal
    for key in ("on", "yes", "1", "null"):  # keys are the literal text
        assert key in doc.data


def test_quoted_and_block_scalars_are_strings() -> None:
    doc = load("a: 'true'\nb: \"12\"\nc: |\n  NO\nd: >-\n  1.5\n")
    assert doc.data == {"a": "true", "b": "12", "c": "NO\n", "d": "1.5"}


def test_standard_explicit_tags() -> None:
    doc = load(
        "a: !!int '0x1F'\nb: !!float 1\nc: !!null ''\nd: !!str 12\ne: !!bool 'true'\n"
        "f: !!map {x: 1}\ng: !!seq [1]\n"
    )
    assert doc.data == {"a": 31, "b": 1.0, "c": None, "d": "12", "e": True, "f": {"x": 1}, "g": [1]}
    assert type(doc.data["b"]) is float


# --- encoding and size ---------------------------------------------------------------------------


def test_nul_byte_is_binary() -> None:
    error = one_error(b"a: 1\nb: \x00\n")
    assert (error.line, error.column) == (2, 4)
    assert "binary file, not YAML text" in error.message
    assert "UTF-8" in error.hint


def test_utf16_file_is_reported_as_binary() -> None:
    assert "binary" in one_error("a: 1\n".encode("utf-16")).message


def test_invalid_utf8_is_located_at_first_bad_byte() -> None:
    error = one_error("a: 1\nb: café ".encode() + b"\xff\n")
    assert (error.line, error.column) == (2, 9)  # columns count characters: "é" is one column
    assert "UTF-8" in error.message and "0xff" in error.message
    assert "save the file as UTF-8" in error.hint


def test_control_character_is_located() -> None:
    error = one_error(b"a: 1\nb: x\x01\n")
    assert (error.line, error.column) == (2, 5)
    assert "U+0001" in error.message


def test_text_over_size_limit() -> None:
    error = one_error(b"a: 1\n" + b"#" * (3 * 1024 * 1024))
    assert f"{MAX_FILE_BYTES:,}" in error.message and "2 MiB" in error.message
    assert f"{3 * 1024 * 1024 + 5:,}" in error.message
    assert (error.line, error.column) == (1, 1)


def test_file_size_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: 3 MiB without writing it

    def no_reading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file must not be opened")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(CatalogInvalid) as info:
        load_yaml_file(big, "big.yaml")
    (error,) = info.value.errors
    assert error.file == "big.yaml"
    assert "3,145,728 bytes" in error.message and "2 MiB" in error.message


def test_load_yaml_file_reads_and_reports_unreadable(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("a: [1, 2]\n", encoding="utf-8")
    assert load_yaml_file(good, "good.yaml").data == {"a": [1, 2]}
    for path, words in ((tmp_path / "missing.yaml", "cannot read"), (tmp_path, "not a regular file")):
        with pytest.raises(CatalogInvalid) as info:
            load_yaml_file(path, "x.yaml")
        assert words in info.value.errors[0].message


# --- document structure --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n  \n", "# just a comment\n# another\n", "---\n", "--- # c\n"])
def test_empty_file(text: str) -> None:
    error = one_error(text)
    assert error.message == "file is empty"
    assert "expected a mapping of fields" in error.hint
    assert (error.line, error.column) == (1, 1)


def test_more_than_one_document_is_located_at_the_second() -> None:
    error = one_error("a: 1\nb: 2\n---\nc: 3\n")
    assert (error.line, error.column) == (3, 1)
    assert "more than one YAML document" in error.message
    assert "---" in error.hint


def test_duplicate_key_at_second_occurrence_names_first_line() -> None:
    error = one_error("name: crm\nowner: me\n  # comment\nname: other\n")
    assert (error.line, error.column) == (4, 1)
    assert error.path == ("name",)
    assert "duplicate key 'name'" in error.message and "line 1" in error.message
    assert "only once" in error.hint


def test_nested_duplicate_key() -> None:
    error = one_error("a:\n  b: 1\n  c: 2\n  b: 3\n")
    assert (error.line, error.column, error.path) == (4, 3, ("a", "b"))


@pytest.mark.parametrize(
    "text, where", [("? [a, b]\n: 1\n", (1, 3)), ("{[1]: 2}\n", (1, 2)), ("? {x: 1}\n: 2\n", (1, 3))]
)
def test_complex_keys_are_rejected(text: str, where: tuple[int, int]) -> None:
    error = one_error(text)
    assert (error.line, error.column) == where
    assert "mapping keys must be plain scalars" in error.message


@pytest.mark.parametrize(
    "text, tag",
    [
        ("a: !!python/object:os.system x\n", "!!python/object:os.system"),
        ("a: !custom x\n", "!custom"),
        ("a: !!binary aGk=\n", "!!binary"),
        ("a: !!timestamp 2024-01-01\n", "!!timestamp"),
        ("a: !!set {x}\n", "!!set"),
        ("a: !!map [1]\n", "!!map"),
    ],
)
def test_unsupported_tags(text: str, tag: str) -> None:
    error = one_error(text)
    assert (error.line, error.column, error.path) == (1, 4, ("a",))
    assert error.message == f"unsupported tag {tag}"
    assert "remove the tag" in error.hint


def test_explicit_standard_tag_with_wrong_value() -> None:
    error = one_error("a: !!bool yes\n")
    assert (error.line, error.column) == (1, 4)
    assert "not a valid !!bool" in error.message and "true/false" in error.hint


@pytest.mark.parametrize("value", [".inf", "-.Inf", ".NaN", "1e400"])
def test_non_finite_numbers_are_rejected(value: str) -> None:
    error = one_error(f"a: 1\nb: {value}\n")
    assert (error.line, error.column) == (2, 4)
    assert "not a finite number" in error.message and "quote" in error.hint


def test_overlong_integer_is_an_error_not_a_crash() -> None:
    assert "too long" in one_error("a: " + "9" * 5000 + "\n").message


def test_several_problems_are_reported_together() -> None:
    errors = errors_of("a: !foo 1\nb: !bar 2\na: 3\n")
    assert [(e.line, e.message.split(" (")[0]) for e in errors] == [
        (1, "unsupported tag !foo"),
        (2, "unsupported tag !bar"),
        (3, "duplicate key 'a'"),
    ]


# --- syntax errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, where", [("a:\n\tb: 1\n", (2, 1)), ("a:\n  - x\n\t- y\n", (3, 1))])
def test_tabs_get_a_spaces_hint(text: str, where: tuple[int, int]) -> None:
    error = one_error(text)
    assert (error.line, error.column) == where
    assert "'\\t'" in error.message
    assert error.hint == "YAML indentation must use spaces, not tabs"


@pytest.mark.parametrize(
    "text, where, words, hint_words",
    [
        ("a: b: c\n", (1, 5), "mapping values are not allowed", "quoted"),
        ("a: 1\nb: 'unclosed\n", (3, 1), "end of stream", "not closed"),
        ("a: [1, 2\n", (2, 1), "expected ',' or ']'", "brackets"),
        ("a: *nowhere\n", (1, 4), "undefined alias 'nowhere'", "anchor"),
        ('a: "C:\\path"\n', (1, 8), "unknown escape", "single quotes"),
        ("a: 1\n b: 2\n", (2, 3), "mapping values are not allowed", "indentation"),
    ],
)
def test_syntax_errors_are_located(text: str, where: tuple[int, int], words: str, hint_words: str) -> None:
    error = one_error(text)
    assert (error.line, error.column) == where, error
    assert error.message.startswith("YAML syntax error: ") and words in error.message
    assert hint_words in error.hint


# --- anchors, aliases, merge keys ----------------------------------------------------------------


def test_aliases_expand_and_are_positioned_at_the_alias() -> None:
    doc = load("base: &b {x: 1}\nuse: *b\nlist:\n  - *b\n")
    assert doc.data == {"base": {"x": 1}, "use": {"x": 1}, "list": [{"x": 1}]}
    assert doc.data["use"] is not doc.data["base"]  # copies, not shared objects
    assert doc.value_positions[("use",)] == (2, 6)
    assert doc.value_positions[("list", 0)] == (4, 5)
    assert doc.value_positions[("use", "x")] == (1, 14)  # inside: where it was defined


def test_merge_keys() -> None:
    doc = load(
        "defaults: &d {retries: 3, timeout: 30}\nextra: &e {timeout: 60, region: eu}\n"
        "job:\n  <<: [*d, *e]\n  retries: 5\n"
        "other:\n  retries: 1\n  <<: *d\n"
    )
    # explicit keys win over merged ones; among merged sources the earlier one wins
    assert doc.data["job"] == {"timeout": 30, "region": "eu", "retries": 5}
    assert doc.data["other"] == {"retries": 1, "timeout": 30}  # no duplicate-key error for overridden merges
    assert doc.key_positions[("job", "retries")] == (5, 3)
    assert doc.value_positions[("job", "region")] == (2, 33)  # merged value: where it was defined
    assert "<<" not in doc.data["job"]


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    assert load("a: {'<<': 1}\n").data == {"a": {"<<": 1}}


def test_merge_key_needs_mappings() -> None:
    error = one_error("a: &a [1]\nb:\n  <<: *a\n")
    assert (error.line, error.column, error.path) == (3, 7, ("b",))
    assert "merge key '<<' needs a mapping" in error.message


def test_billion_laughs_fails_fast() -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    start = time.perf_counter()
    error = one_error("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0
    assert "too many nodes after alias expansion (possible alias bomb" in error.message
    assert f"{MAX_NODES:,}" in error.message
    assert error.line > 1 and "alias" in error.hint


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a {<<: *a}\n"])
def test_recursive_aliases_are_rejected(text: str) -> None:
    error = one_error(text)
    assert error.line == 1
    assert "recursive alias" in error.message or "merge a mapping into itself" in error.message


def test_too_many_values_without_aliases() -> None:
    error = one_error("[" + "1," * MAX_NODES + "]")  # the root plus MAX_NODES items
    assert (error.line, error.column) == (1, 2 * MAX_NODES)  # the item that crosses the limit
    assert f"too many YAML values (limit {MAX_NODES:,})" == error.message
    assert "smaller files" in error.hint


def test_mapping_keys_do_not_count_towards_the_value_limit() -> None:
    count = MAX_NODES // 2 + 1_000  # keys + values would cross the limit
    doc = load("".join(f"k{i}: {i}\n" for i in range(count)))
    assert len(doc.data) == count and doc.key_positions[(f"k{count - 1}",)] == (count, 1)


# --- hostile nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("opener, column", [("[", MAX_DEPTH + 1), ("{a: ", 4 * MAX_DEPTH - 2)])
def test_100000_deep_nesting(opener: str, column: int) -> None:
    start = time.perf_counter()
    error = one_error(opener * 100_000)
    assert time.perf_counter() - start < 5.0
    assert (error.line, error.column) == (1, column)
    assert f"limit of {MAX_DEPTH} levels" in error.message


def test_block_nesting_within_the_limit_loads() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH - 2)) + "  " * (MAX_DEPTH - 2) + "leaf: 1\n"
    doc = load(text)
    node = doc.data
    for i in range(MAX_DEPTH - 2):
        node = node[f"k{i}"]
    assert node == {"leaf": 1}


def test_alias_expansion_cannot_exceed_the_depth_limit() -> None:
    inner = "[" * 40 + "1" + "]" * 40
    error = one_error(f"a: &a {inner}\nb: {'[' * 20}*a{']' * 20}\n")
    assert "after alias expansion" in error.message and f"limit of {MAX_DEPTH}" in error.message


# --- never anything but CatalogInvalid -----------------------------------------------------------


def test_unexpected_exceptions_become_catalog_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    for exc, words in (
        (RuntimeError("boom"), "internal error"),
        (RecursionError(), "nesting"),
        (MemoryError(), "memory"),
    ):

        def fail(*_args: object, _exc: BaseException = exc, **_kwargs: object) -> None:
            raise _exc

        monkeypatch.setattr(yaml_source._Converter, "value", fail)
        monkeypatch.setattr(yaml_source, "plain_data", lambda *args: yaml_source.NOT_PLAIN)
        assert words in one_error("a: 1\n").message
        monkeypatch.setattr(yaml_source, "plain_data", fail)  # and in the plain file's conversion
        assert words in one_error("a: 1\n").message


def _load_any(data: bytes) -> None:
    try:
        doc = load_yaml_text(data, FILE)
    except CatalogInvalid as exc:
        assert exc.errors and not any("internal error" in e.message for e in exc.errors), exc.errors
        assert all(e.line >= 1 and e.column >= 1 for e in exc.errors)
    else:
        json.dumps(doc.data)


def test_random_bytes() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        _load_any(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))


YAMLISH = st.text(alphabet=st.sampled_from(list("ab1:-[]{},&*!|>'\"#?<%@`~.\n\t \r\\é\x00\x85")), max_size=80)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode), YAMLISH.map(str.encode)))
def test_arbitrary_input_only_raises_catalog_invalid(data: bytes) -> None:
    _load_any(data)
