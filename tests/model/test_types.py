"""Portable column types: parsing, printing, and which type may be loaded into which."""

from __future__ import annotations

import itertools

import pytest

from lakewharf.model.types import DataType, Privacy, TypeSyntaxError

T = DataType.parse


@pytest.mark.parametrize(
    ("text", "expected", "printed"),
    [
        ("int", DataType("int"), "int"),
        ("INT", DataType("int"), "int"),
        ("  bigint ", DataType("bigint"), "bigint"),
        ("boolean", DataType("boolean"), "boolean"),
        ("smallint", DataType("smallint"), "smallint"),
        ("float", DataType("float"), "float"),
        ("double", DataType("double"), "double"),
        ("date", DataType("date"), "date"),
        ("timestamp", DataType("timestamp"), "timestamp"),
        ("string", DataType("string"), "string"),
        ("string(64)", DataType("string", length=64), "string(64)"),
        ("String( 8000 )", DataType("string", length=8000), "string(8000)"),
        ("string(1)", DataType("string", length=1), "string(1)"),
        ("binary", DataType("binary"), "binary"),
        ("binary(16)", DataType("binary", length=16), "binary(16)"),
        ("decimal(10,2)", DataType("decimal", precision=10, scale=2), "decimal(10,2)"),
        ("decimal( 18 , 0 )", DataType("decimal", precision=18, scale=0), "decimal(18,0)"),
        ("decimal(38,38)", DataType("decimal", precision=38, scale=38), "decimal(38,38)"),
        ("decimal(1,0)", DataType("decimal", precision=1, scale=0), "decimal(1,0)"),
        ("string(0064)", DataType("string", length=64), "string(64)"),
        ("decimal(10," + "0" * 4999 + "1)", DataType("decimal", precision=10, scale=1), "decimal(10,1)"),
    ],
)
def test_parse_and_print(text: str, expected: DataType, printed: str) -> None:
    parsed = T(text)
    assert parsed == expected
    assert str(parsed) == printed
    assert T(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("decimal(40,2)", "decimal(40,2): need 1 <= p <= 38 and s <= p"),
        ("decimal(39,0)", "need 1 <= p <= 38"),
        ("decimal(0,0)", "need 1 <= p <= 38"),
        ("decimal(5,6)", "s <= p"),
        ("decimal(10)", "decimal needs precision and scale"),
        ("decimal", "decimal needs precision and scale"),
        ("string(0)", "string(0): length must be between 1 and 8000"),
        ("string(8001)", "length must be between 1 and 8000"),
        ("binary(0)", "binary(0): length must be between 1 and 8000"),
        ("string(10,2)", "string takes one length"),
        ("int(3)", "int takes no size"),
        ("timestamp(6)", "timestamp takes no size"),
        ("boolean(1)", "boolean takes no size"),
        ("integer", "unknown type 'integer'"),
        ("varchar(10)", "unknown type 'varchar(10)'"),
        ("", "unknown type ''"),
        ("string(-1)", "unknown type"),
        ("string()", "unknown type"),
        ("decimal(10,2", "unknown type"),
        ("int int", "unknown type"),
        # more digits than int() converts (4300): still a TypeSyntaxError, not a ValueError from int()
        ("string(" + "9" * 5000 + ")", "length must be between 1 and 8000"),
        ("decimal(" + "1" * 5000 + ",2)", "need 1 <= p <= 38"),
    ],
)
def test_invalid_types(text: str, message: str) -> None:
    with pytest.raises(TypeSyntaxError) as info:
        T(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("source", "target", "fits"),
    [
        # integers widen, never narrow
        ("smallint", "int", True),
        ("int", "bigint", True),
        ("smallint", "bigint", True),
        ("bigint", "int", False),
        ("int", "smallint", False),
        # strings and binaries by length; no length means unbounded
        ("string(10)", "string(20)", True),
        ("string(64)", "string(64)", True),
        ("string(256)", "string(64)", False),
        ("string(10)", "string", True),
        ("string", "string(8000)", False),
        ("string", "string", True),
        ("binary(16)", "binary(32)", True),
        ("binary(32)", "binary(16)", False),
        ("binary(16)", "string(16)", False),
        ("string(16)", "binary(16)", False),
        # dates
        ("date", "timestamp", True),
        ("timestamp", "date", False),
        ("date", "string(10)", False),
        # integers into decimals need enough integer digits
        ("int", "decimal(10,0)", True),
        ("int", "decimal(12,2)", True),
        ("int", "decimal(9,0)", False),
        ("int", "decimal(11,2)", False),
        ("smallint", "decimal(5,0)", True),
        ("bigint", "decimal(19,0)", True),
        ("bigint", "decimal(18,0)", False),
        # decimals: neither scale nor integer digits may shrink
        ("decimal(10,2)", "decimal(14,2)", True),
        ("decimal(10,2)", "decimal(11,3)", True),
        ("decimal(10,2)", "decimal(10,3)", False),
        ("decimal(10,2)", "decimal(10,1)", False),
        ("decimal(14,2)", "decimal(10,2)", False),
        ("decimal(18,2)", "int", False),
        ("decimal(5,0)", "int", False),
        # floating point
        ("int", "double", True),
        ("bigint", "double", True),
        ("decimal(10,2)", "double", True),
        ("float", "double", True),
        ("smallint", "float", True),
        ("int", "float", False),
        ("double", "float", False),
        ("double", "decimal(38,10)", False),
        ("double", "bigint", False),
        # no implicit conversions between families
        ("boolean", "boolean", True),
        ("boolean", "int", False),
        ("int", "boolean", False),
        ("int", "string", False),
        ("string(10)", "int", False),
        ("timestamp", "timestamp", True),
    ],
)
def test_fits_into(source: str, target: str, fits: bool) -> None:
    assert T(source).fits_into(T(target)) is fits


ALL_TYPES = [T(t) for t in (
    "boolean", "smallint", "int", "bigint", "float", "double", "date", "timestamp", "string", "string(10)",
    "string(64)", "binary", "binary(8)", "decimal(5,0)", "decimal(10,0)", "decimal(10,2)", "decimal(12,2)",
    "decimal(19,0)", "decimal(38,4)",
)]


def test_fits_into_is_reflexive_and_transitive() -> None:
    for t in ALL_TYPES:
        assert t.fits_into(t), t
    for a, b, c in itertools.product(ALL_TYPES, repeat=3):
        if a.fits_into(b) and b.fits_into(c):
            assert a.fits_into(c), (str(a), str(b), str(c))


def test_is_numeric() -> None:
    assert [str(t) for t in ALL_TYPES if t.is_numeric] == [
        "smallint", "int", "bigint", "float", "double", "decimal(5,0)", "decimal(10,0)", "decimal(10,2)",
        "decimal(12,2)", "decimal(19,0)", "decimal(38,4)",
    ]


@pytest.mark.parametrize(("text", "privacy"), [(None, Privacy.NONE), ("none", Privacy.NONE),
                                               ("personal", Privacy.PERSONAL), ("Sensitive", Privacy.SENSITIVE)])
def test_privacy_parse(text: str | None, privacy: Privacy) -> None:
    assert Privacy.parse(text) is privacy


def test_privacy_order_and_text() -> None:
    assert Privacy.NONE < Privacy.PERSONAL < Privacy.SENSITIVE
    assert max(Privacy.PERSONAL, Privacy.NONE) is Privacy.PERSONAL
    assert str(Privacy.PERSONAL) == "personal"
    with pytest.raises(KeyError):
        Privacy.parse("secret")
