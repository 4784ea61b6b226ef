"""Per-column value makers for ``lakewharf.local.synthetic``: realistic values chosen by a column's
name, type and privacy class, from small built-in lists (no Faker dependency).

Every maker draws from its own generator, seeded from (seed, entity, column, purpose) through
``zlib.crc32`` (never ``hash()``, which changes per process), so a new column never shifts another
column's values. Values live in numpy *working arrays* until ``to_arrow``: int64 for integers,
unscaled int64 for decimals (exact at any scale), float64 holding float32-exact values for
``float``, datetime64[D]/[us] for dates/timestamps, object arrays for text and bytes; ``synthetic``
turns them into Arrow.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np

from lakewharf.model.catalog import Column
from lakewharf.model.types import DataType, Privacy

INTEGER_MAX = {"smallint": 2**15 - 1, "int": 2**31 - 1, "bigint": 2**63 - 1}
TEXT_BASES = ("string", "binary")

FIRST_NAMES = tuple("Emma Lucas Louise Noah Mila Liam Anna Leon Sofia Hugo Julia Finn Clara Mateo Elena Jonas "
                    "Alice Luca Ines Daan Marta Oscar Nina Pablo Zoe Felix Lea Tom Sara Adam".split())
LAST_NAMES = tuple("Martin Bernard Dubois Muller Schmidt Schneider Jansen Peeters Garcia Lopez Rossi Russo Smith "
                   "Jones Taylor Moreau Laurent Fischer Weber Bakker Visser Maes Martinez Romano Brown Wilson "
                   "Girard Wagner".split())
# City, ISO 3166-1 alpha-2 country, postcode prefix: one place per row keeps the three consistent.
PLACES = tuple(tuple(p.split()) for p in ("Lyon FR 69", "Paris FR 75", "Lille FR 59", "Berlin DE 10", "Hamburg DE 20",
                                         "Utrecht NL 35", "Amsterdam NL 10", "Gent BE 90", "Madrid ES 28",
                                         "Milano IT 20", "Leeds GB LS", "Dublin IE D0"))
COUNTRIES = {"FR": ("FRA", "France"), "DE": ("DEU", "Germany"), "NL": ("NLD", "Netherlands"),
             "BE": ("BEL", "Belgium"), "ES": ("ESP", "Spain"), "IT": ("ITA", "Italy"),
             "GB": ("GBR", "United Kingdom"), "IE": ("IRL", "Ireland")}
STREETS = ("Rue Victor Hugo", "Avenue Jean Jaures", "Hauptstrasse", "Bahnhofstrasse", "Kerkstraat",
           "Calle Mayor", "Via Roma", "High Street", "Station Road", "Rue de la Paix")
WORDS = tuple("amber birch cobalt delta ember fjord granite harbor indigo juniper kestrel lagoon maple nimbus "
              "onyx pepper quartz river saffron tundra".split())
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
)
# Matched against the end of a name's words: loyalty_tier, payment_method, c_mktsegment.
CATEGORY_VALUES = {k: tuple(v.split()) for k, v in {
    "status": "active pending inactive closed", "type": "standard premium basic trial",
    "category": "shoes shirts trousers jackets bags hats socks belts", "channel": "web app store phone",
    "tier": "none silver gold platinum", "segment": "consumer small_business enterprise",
    "currency": "EUR USD GBP CHF", "gender": "F M X", "method": "card paypal transfer cash",
    "priority": "low medium high", "level": "low medium high", "brand": "Alder Birch Cedar Dogwood Elm",
    "language": "fr en de nl es"}.items()}
ORDER_STATUSES = ("shipped", "placed", "returned", "cancelled")
_MONEY = ("amount", "price", "cost", "revenue", "balance", "salary", "fee", "spend", "total", "acctbal",
          "income", "charge", "payment", "value")


def rng_for(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng([seed % 2**64, *(zlib.crc32(p.encode()) for p in parts)])


def singular(name: str) -> str:
    """``page_views`` → ``Page view``: the label of one row, for "Product 17"-like text."""
    word = name.replace("_", " ")
    for plural, one in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x")):
        if word.endswith(plural):
            return (word[: -len(plural)] + one).capitalize()
    return (word[:-1] if word.endswith("s") and not word.endswith(("ss", "us", "is")) else word).capitalize()


@dataclass(frozen=True)
class Rows:
    """What the columns of one entity's rows share: their count, moment, person and place."""

    seed: int
    ref: str
    label: str
    n: int
    start: np.datetime64  # seconds
    end: np.datetime64  # exclusive
    time: np.ndarray  # datetime64[s], ascending: when each row happened
    first: np.ndarray  # index into FIRST_NAMES, so first_name, email and full name agree
    last: np.ndarray
    place: np.ndarray  # index into PLACES

    @classmethod
    def make(cls, seed: int, ref: str, entity_name: str, n: int, start: dt.date, days: int) -> Rows:
        rng = rng_for(seed, ref, "", "rows")
        t0, span = np.datetime64(start, "s"), max(1, days) * 86_400
        time = t0 + np.sort(rng.integers(0, span, n)).astype("timedelta64[s]")
        return cls(seed, ref, singular(entity_name), n, t0, t0 + np.timedelta64(span, "s"), time,
                   rng.integers(0, len(FIRST_NAMES), n), rng.integers(0, len(LAST_NAMES), n),
                   rng.integers(0, len(PLACES), n))

    def rng(self, column: str, purpose: str = "values") -> np.random.Generator:
        return rng_for(self.seed, self.ref, column, purpose)

    @property
    def ordinal(self) -> np.ndarray:
        return np.arange(1, self.n + 1)


def type_max(t: DataType) -> float:
    """Largest value of a numeric type, in natural units (decimals also bounded by int64 unscaled)."""
    if t.base in INTEGER_MAX:
        return float(INTEGER_MAX[t.base])
    if t.base == "decimal":
        assert t.precision is not None and t.scale is not None
        return min(10.0 ** (t.precision - t.scale) - 10.0**-t.scale, 9.2e18 / 10.0**t.scale)
    return 3.0e38 if t.base == "float" else 1.0e300


def capacity(t: DataType) -> int:
    """How many distinct key values the type holds (keys are generated as 1..n or id strings)."""
    if t.base in INTEGER_MAX:
        return INTEGER_MAX[t.base]
    if t.base == "decimal":  # whole numbers when the type has integer digits, else 0.01, 0.02, …
        assert t.precision is not None and t.scale is not None
        return 10 ** (t.precision - t.scale if t.precision > t.scale else t.precision) - 1
    if t.base == "boolean":
        return 2
    if t.base == "binary":
        return 256 ** min(t.length or 8, 8)
    return 36 ** min(t.length, 12) if t.base == "string" and t.length is not None else 2**62


def key_values(t: DataType, ranks: np.ndarray, prefix: str, rng: np.random.Generator, start: dt.date) -> np.ndarray:
    """Distinct key values for distinct ranks (0-based): 1..n, id strings, consecutive days."""
    ranks = ranks.astype(np.int64)
    if t.base in INTEGER_MAX:
        return ranks + 1
    if t.base in ("float", "double"):
        return (ranks + 1).astype(np.float64)
    if t.base == "decimal":
        assert t.precision is not None and t.scale is not None
        return (ranks + 1) * 10**t.scale if t.precision > t.scale else ranks + 1
    if t.base == "date":
        return np.datetime64(start, "D") + ranks.astype("timedelta64[D]")
    if t.base == "timestamp":
        return np.datetime64(start, "us") + (ranks * 3_600_000_000).astype("timedelta64[us]")
    if t.base == "boolean":
        return ranks % 2 == 1
    if t.base == "binary":
        size = min(t.length or 8, 8)
        return np.array([int(r).to_bytes(size, "big") for r in ranks], dtype=object)
    return np.array(string_ids(ranks, t.length, prefix, rng), dtype=object)


def string_ids(ranks: np.ndarray, length: int | None, prefix: str, rng: np.random.Generator) -> list[str]:
    """uuid-like when 36 characters fit, else ``C000123``; unique for unique ranks either way."""
    n = len(ranks)
    if length is None or length >= 36:
        # An odd multiplier is a bijection modulo 2**48: unique tails that do not look sequential.
        tail = (ranks.astype(np.uint64) * np.uint64(0x9E3779B97F4B) + np.uint64(rng.integers(0, 2**48))) % (
            np.uint64(2**48))
        a, b, c, d = (rng.integers(0, 2**k, n) for k in (32, 16, 12, 14))
        return [f"{w:08x}-{x:04x}-4{y:03x}-{0x8000 | z:04x}-{t:012x}"
                for w, x, y, z, t in zip(a.tolist(), b.tolist(), c.tolist(), d.tolist(), tail.tolist(), strict=True)]
    top = int(ranks.max()) + 1 if n else 1
    width = max(6, len(str(top)))
    if length >= 2 and len(str(top)) <= length - 1:
        width = min(width, length - 1)
        return [f"{prefix}{r + 1:0{width}d}" for r in ranks.tolist()]
    return [np.base_repr(r, 36).rjust(length, "0") for r in ranks.tolist()]


def from_natural(t: DataType, x: np.ndarray) -> np.ndarray:
    """Natural-unit numbers → the working array of a numeric type."""
    if t.base in INTEGER_MAX:
        return np.rint(x).astype(np.int64)
    if t.base == "decimal":
        return np.rint(x * 10.0**t.scale).astype(np.int64)  # type: ignore[operator]
    x = np.round(x, 2)
    return x.astype(np.float32).astype(np.float64) if t.base == "float" else x


def to_natural(t: DataType, values: np.ndarray) -> np.ndarray:
    return values / 10.0**t.scale if t.base == "decimal" else values.astype(np.float64)  # type: ignore[operator]


def make_values(column: Column, rows: Rows) -> np.ndarray:
    """Clean values for a column that is neither a key nor a reference nor the watermark."""
    t, name = column.type, column.name.lower()
    if t.base in ("date", "timestamp"):
        return as_time(t, moments(column, rows))
    if t.base == "boolean":
        rare = any(w in name for w in ("deleted", "test", "blocked", "fraud"))
        return rows.rng(column.name).random(rows.n) < (0.05 if rare else 0.6)
    if t.base == "binary":
        size = min(t.length or 16, 32 if "hash" in name else 16)
        raw = rows.rng(column.name).integers(0, 256, (rows.n, size), dtype=np.uint8)
        return np.array([r.tobytes() for r in raw], dtype=object)
    if t.base == "string":
        return fit(text_values(column, rows), t.length)
    return from_natural(t, normal_numbers(column, rows))


def moments(column: Column, rows: Rows) -> np.ndarray:
    """datetime64[s]: births 18–80 years before the start, other moments shortly before the row's."""
    rng = rows.rng(column.name)
    if _is_birth(column.name.lower()):
        start = rows.start.astype("datetime64[D]").item()
        oldest, youngest = (np.datetime64(start.replace(year=start.year - y, day=min(start.day, 28)), "D")
                            for y in (80, 18))
        return oldest + rng.integers(0, (youngest - oldest).astype(int) + 1, rows.n).astype("timedelta64[D]")
    # A few days before the row's own moment, never before the start (early rows get shorter lags).
    since = (rows.time - rows.start).astype(np.int64)
    lag = np.minimum(rng.exponential(3 * 86_400.0, rows.n), since * rng.random(rows.n)).astype(np.int64)
    return rows.time - lag.astype("timedelta64[s]")


def as_time(t: DataType, moment: np.ndarray) -> np.ndarray:
    if t.base == "date":
        return moment.astype("datetime64[D]")
    if t.base == "timestamp":
        return moment.astype("datetime64[us]")
    text = moment.astype("datetime64[s]").astype(str)
    return np.array([s.replace("T", " ") for s in text.tolist()], dtype=object)


def fit(values: np.ndarray, length: int | None) -> np.ndarray:
    """Cut text to the column length; no trailing blank is left, since readers may trim it."""
    if length is None or not len(values) or max(map(len, values)) <= length:
        return values
    return np.array([v[:length].rstrip() for v in values], dtype=object)


def _is_birth(name: str) -> bool:
    return "birth" in name or "dob" in name.split("_")


def string_kind(column: Column) -> str:
    """What a text column holds, judged by its name (and privacy class for ``*name``)."""
    name = column.name.lower()
    tokens = name.split("_")
    last = tokens[-1]
    checks = (
        ("email", "mail" in name),
        ("phone", any(t in ("phone", "mobile", "tel", "telephone", "fax") for t in tokens)),
        ("ip", "ip" in tokens or name == "ipv4"),
        ("first_name", name.endswith(("first_name", "firstname", "given_name", "forename"))),
        ("last_name", name.endswith(("last_name", "lastname", "surname", "family_name"))),
        ("username", name in ("username", "user_name", "login")),
        ("when", _is_birth(name)),
        ("person" if column.privacy >= Privacy.PERSONAL else "label",
         name in ("name", "fullname") or name.endswith("_name")),
        ("address", any(t in ("address", "street", "addr") for t in tokens) or name.startswith("address")),
        ("city", "city" in tokens or "town" in tokens),
        ("postcode", any(t in ("postcode", "zip", "zipcode", "postal") for t in tokens) or "post_code" in name),
        ("country", "country" in name),
        ("url", any(t in ("url", "uri", "link", "href", "website", "referrer", "referer") for t in tokens)),
        ("user_agent", "agent" in tokens),
        ("id", last in ("id", "uuid", "guid", "key", "token", "hash")),
        ("category", category_values(name) is not None),
        ("code", last in ("sku", "code", "ref", "reference")),
        ("text", last in ("description", "comment", "comments", "note", "notes", "remarks", "message", "text")),
        ("flag", name.startswith(("is_", "has_")) or last == "flag"),
        ("when", any(t in ("date", "time", "timestamp", "ts", "at") for t in tokens[1:] or tokens)),
    )
    return next((kind for kind, hit in checks if hit), "word")


def category_values(name: str) -> tuple[str, ...] | None:
    tokens = name.split("_")
    return next((v for t in reversed(tokens) for k, v in CATEGORY_VALUES.items() if t.endswith(k)), None)


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    """Skewed picks (the first option most common), as real category columns are."""
    weights = 1.0 / np.arange(1, len(options) + 1)
    return np.array(options, dtype=object)[rng.choice(len(options), n, p=weights / weights.sum())]


def text_values(column: Column, rows: Rows) -> np.ndarray:
    kind, name, n = string_kind(column), column.name.lower(), rows.n
    rng, ordinal = rows.rng(column.name), rows.ordinal.tolist()
    first = np.array(FIRST_NAMES, dtype=object)[rows.first]
    last = np.array(LAST_NAMES, dtype=object)[rows.last]
    places = [PLACES[i] for i in rows.place.tolist()]
    if kind in ("email", "username"):
        domain = "@example.com" if kind == "email" else ""
        out = [f"{f.lower()}.{s.lower()}{i}{domain}" for f, s, i in zip(first, last, ordinal, strict=True)]
    elif kind in ("first_name", "last_name", "person"):
        out = first if kind == "first_name" else last if kind == "last_name" else first + " " + last
    elif kind == "phone":
        out = [f"+33 6 {d:08d}" for d in rng.integers(0, 10**8, n).tolist()]
    elif kind == "ip":
        a, b, c = rng.integers(0, 256, n).tolist(), rng.integers(0, 256, n).tolist(), rng.integers(1, 255, n).tolist()
        out = [f"10.{x}.{y}.{z}" for x, y, z in zip(a, b, c, strict=True)]
    elif kind == "address":
        out = [f"{k} {STREETS[s]}" for k, s in zip(rng.integers(1, 200, n).tolist(),
                                                 rng.integers(0, len(STREETS), n).tolist(), strict=True)]
    elif kind == "city":
        out = [p[0] for p in places]
    elif kind == "postcode":
        out = [f"{p[2]}{d:03d}" for p, d in zip(places, rng.integers(0, 1000, n).tolist(), strict=True)]
    elif kind == "country":
        length = column.type.length
        out = [p[1] if length == 2 else COUNTRIES[p[1]][0] if length == 3 else COUNTRIES[p[1]][1] for p in places]
    elif kind == "url":
        out = [f"https://www.example.com/{rows.label.lower().replace(' ', '-')}/{i}" for i in ordinal]
    elif kind == "user_agent":
        out = _pick(rng, USER_AGENTS, n)
    elif kind == "label":
        stem = name.removesuffix("name").rstrip("_")
        label = stem.replace("_", " ").capitalize() if len(stem) > 2 else rows.label
        out = [f"{label} {i}" for i in ordinal]
    elif kind == "code":
        prefix = (name.removesuffix("code").rstrip("_") or "code")[-3:].upper()
        out = [f"{prefix}-{i:05d}" for i in ordinal]
    elif kind == "id":
        # Ids of things the catalog does not describe (sessions, devices): shared by a few rows each.
        pool = rng.integers(0, max(1, n // 4), n)
        out = string_ids(pool, column.type.length, name[0].upper(), rng)
    elif kind == "category":
        options = ORDER_STATUSES if name.endswith("status") and "order" in rows.ref else category_values(name)
        assert options is not None
        out = _pick(rng, tuple(o for o in options if len(o) <= (column.type.length or 99)) or options, n)
    elif kind == "text":
        sizes = rng.integers(3, 9, n).tolist()
        words = np.array(WORDS)[rng.integers(0, len(WORDS), (n, 8))].tolist()
        out = [" ".join(w[:k]).capitalize() + "." for w, k in zip(words, sizes, strict=True)]
    elif kind == "flag":
        out = np.where(rng.random(n) < 0.6, "Y", "N").astype(object)
    elif kind == "when":
        out = as_time(DataType("string"), moments(column, rows))
        out = np.array([s[:10] for s in out], dtype=object) if "date" in name or _is_birth(name) else out
    else:
        words, numbers = rng.integers(0, len(WORDS), n).tolist(), rng.integers(1, 100, n).tolist()
        out = [f"{WORDS[w]}-{k}" for w, k in zip(words, numbers, strict=True)]
    return np.asarray(out, dtype=object)


def normal_numbers(column: Column, rows: Rows) -> np.ndarray:
    """Plausible natural-unit values by name, kept under a tenth of the type's range (room for outliers)."""
    name, n, rng = column.name.lower(), rows.n, rows.rng(column.name)
    tokens = name.split("_")
    last = tokens[-1]
    if last == "age":
        x = rng.integers(18, 81, n).astype(float)
    elif "year" in last:
        x = (rows.start.astype("datetime64[Y]").astype(int) + 1970 - rng.integers(0, 30, n)).astype(float)
    elif "discount" in name:
        x = np.array([0.0, 5, 10, 15, 20, 25])[rng.choice(6, n, p=[0.5, 0.2, 0.12, 0.08, 0.06, 0.04])]
    elif any(w in name for w in ("quantity", "qty", "units", "count", "items")):
        x = np.minimum(rng.geometric(0.45, n), 50).astype(float)
    elif "rating" in name or "stars" in tokens:
        x = rng.integers(1, 6, n).astype(float)
    elif "score" in name or any(t in ("pct", "percent", "percentage") for t in tokens):
        x = rng.uniform(0, 100, n)
    elif any(t in ("rate", "ratio", "share", "probability") for t in tokens):
        x = rng.uniform(0, 1, n)
    elif any(w in name for w in _MONEY):
        x = rng.lognormal(3.4, 0.8, n)
    elif last in ("lat", "latitude"):
        x = rng.uniform(41, 55, n)
    elif last in ("lon", "lng", "longitude"):
        x = rng.uniform(-6, 16, n)
    elif any(w in name for w in ("duration", "seconds", "minutes")):
        x = rng.integers(1, 3601, n).astype(float)
    elif last in ("no", "nr", "seq", "rank", "line", "position") or "linenumber" in name or "line_number" in name:
        x = rng.integers(1, 6, n).astype(float)
    elif last in ("id", "key") or name.endswith(("id", "key")):
        x = rng.integers(1, max(n, 10) + 1, n).astype(float)
    else:
        x = rng.lognormal(4.0, 1.0, n)
    return np.clip(x, -type_max(column.type) / 10, type_max(column.type) / 10)


def outlier_value(t: DataType, normal_max: float) -> float | None:
    """A value far outside the normal range (e.g. quantity 9999) that the type still holds."""
    high = min(type_max(t), max(9999.0, 100.0 * normal_max))
    if t.base == "decimal":
        high = np.floor(high * 10.0**t.scale) / 10.0**t.scale  # type: ignore[operator]
    return float(high) if high >= 10 * max(normal_max, 0.0) and high > normal_max else None
