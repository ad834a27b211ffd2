"""Mangled CSV bytes fed to every reader: a clean AplcoreError, or exactly the clean result.

Each clean file is written the way tools write them (a header, one row per line, a final line
break). Hypothesis mangles it: cut short, fields reordered, other separators (on every line or
on one), other encodings (Latin-1, a byte-order mark, UTF-16, one line in another encoding).
A second fuzzer writes the same tables the way other locales and tools do (decimal commas,
thousands separators, Windows-1252 or Latin-1, a byte-order mark, Excel's ``sep=`` first line):
each is read to exactly the clean result, or refused naming the file or the column.
The reader must then either refuse the file with an :class:`aplcore.errors.AplcoreError`,
return what it returns for the clean file, or (for a file cut inside a plausible last value,
'11.7' for '11.75') warn that the file does not end with a line break: never another exception,
never a different table without a word. Cuts at the end of a line leave a valid shorter file
that nobody can tell from a whole one, and are not tried.
"""

from __future__ import annotations

import codecs
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import aplcore
from aplcore import io
from aplcore.demand import AGE_BANDS
from aplcore.errors import AplcoreError, IncompleteFileWarning
from aplcore.tables import read_table

CODES = ["45001", "45002", "45004", "45005", "45006", "45008"]
NAMES = ["Orléans", "Château-Renard", "Saint-Brisson", "Léré", "Bonnée", "Beaugency"]

#: A bounded budget in the default run (a few seconds); APLCORE_FUZZ_EXAMPLES=1000 digs deeper.
EXAMPLES = int(os.environ.get("APLCORE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize="APLCORE_FUZZ_EXAMPLES" not in os.environ,
)


def _od() -> pd.DataFrame:
    rows = [
        (a, b, 0.0 if a == b else round(3.5 + 2.75 * abs(i - j), 2))
        for i, a in enumerate(CODES)
        for j, b in enumerate(CODES)
    ]
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


def _practitioners() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "practitioner_id": ["dr-a", "dr-b", "dr-c", "dr-d"],
            "commune": ["45001", "45002", "45004", "45008"],
            "activity": [4000.5, 3000.25, 6100.75, 5200.5],
            "age": [50, 60, 45, 38],
            "kind": ["liberal", "liberal", "centre_sante", "liberal"],
        }
    )


def _bands() -> pd.DataFrame:
    values = np.arange(len(CODES) * len(AGE_BANDS), dtype=float).reshape(len(CODES), -1) + 10.5
    frame = pd.DataFrame(values, columns=list(AGE_BANDS))
    frame.insert(0, "code", CODES)
    return frame


def _territories() -> pd.DataFrame:
    return pd.DataFrame({"code": CODES, "territory": NAMES, "departement": "45"})


def _frame_result(frame: pd.DataFrame) -> pd.DataFrame:
    """A table compared whatever the order of its columns."""
    return frame[sorted(frame.columns, key=str)]


def _travel_times(path: Path) -> tuple[Any, ...]:
    tt = aplcore.travel_times_from_table(path, max_minutes=None)
    return (tuple(tt.codes), tt.indptr.tobytes(), tt.indices.tobytes(), tt.minutes.tobytes())


#: The columns of numbers (not codes) of each reader's table, which locales write differently.
NUMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "od-table": ("minutes",),
    "practitioners": ("activity", "age"),
    "population-by-age": AGE_BANDS,
    "territories": (),
    "table": (),
}

READERS: dict[str, tuple[Callable[[], pd.DataFrame], Callable[[Path], Any]]] = {
    "od-table": (_od, _travel_times),
    "practitioners": (_practitioners, lambda p: _frame_result(io.read_practitioners(p))),
    "population-by-age": (_bands, lambda p: _frame_result(io.read_population_by_age(p))),
    "territories": (_territories, lambda p: _frame_result(io.read_territories(p))),
    "table": (
        _territories,
        lambda p: _frame_result(read_table(p, text_columns=["code"]).data.to_pandas()),
    ),
}


# ------------------------------------------------------------------------------ mangling
def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]  # the clean file ends with a line break


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


@st.composite
def mangled(draw: st.DrawFn, clean: bytes) -> bytes:
    kind = draw(
        st.sampled_from(
            [
                "cut",
                "reorder",
                "separator",
                "one-line-separator",
                "latin-1",
                "bom",
                "utf-16",
                "one-line-latin-1",
                "cut-and-separator",
            ]
        )
    )
    lines = _lines(clean)
    if kind in ("cut", "cut-and-separator"):
        k = draw(st.integers(1, len(clean) - 1))
        # a cut at a line's end leaves a valid shorter file (nobody can tell): not tried
        assume(k == len(clean) - 1 or b"\n" not in clean[k - 1 : k + 1])
        data = clean[:k]
        if kind == "cut-and-separator":
            data = data.replace(b",", draw(st.sampled_from([b";", b"\t", b"|"])))
        return data
    if kind == "reorder":
        n_fields = lines[0].count(b",") + 1
        order = draw(st.permutations(range(n_fields)))
        split = [line.split(b",") for line in lines]
        return _join([b",".join(fields[k] for k in order) for fields in split])
    if kind == "separator":
        return clean.replace(b",", draw(st.sampled_from([b";", b"\t", b"|"])))
    if kind == "one-line-separator":
        row = draw(st.integers(1, len(lines) - 1))
        lines[row] = lines[row].replace(b",", draw(st.sampled_from([b";", b"\t", b" "])))
        return _join(lines)
    text = clean.decode("utf-8")
    if kind == "latin-1":
        return text.encode("latin-1")
    if kind == "bom":
        return codecs.BOM_UTF8 + clean
    if kind == "utf-16":
        return text.encode("utf-16")
    # one line in Latin-1, the others in UTF-8
    row = draw(st.integers(1, len(lines) - 1))
    lines[row] = lines[row].decode("utf-8").encode("latin-1")
    return _join(lines)


def _outcome(read: Callable[[Path], Any], path: Path) -> tuple[str, Any]:
    """("error", exc), ("result", value) or ("flagged", value): read with a warning that the
    file may be incomplete (it does not end with a line break)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = read(path)
        except AplcoreError as exc:
            return "error", exc
    flagged = any(issubclass(w.category, IncompleteFileWarning) for w in caught)
    return ("flagged" if flagged else "result"), value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError:
            return False
        return True
    return a == b


@pytest.mark.parametrize("reader", list(READERS), ids=list(READERS))
def test_mangled_csv_is_refused_or_read_identically(reader: str, tmp_path: Path) -> None:
    make, read = READERS[reader]
    clean_path = tmp_path / "clean.csv"
    make().to_csv(clean_path, index=False, lineterminator="\n")
    clean = clean_path.read_bytes()
    kind, expected = _outcome(read, clean_path)
    assert kind == "result", f"the clean file must be read: {expected}"
    path = tmp_path / "mangled.csv"

    @FUZZ
    @given(data=mangled(clean))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        kind, found = _outcome(read, path)
        if kind == "result":
            assert _same(found, expected), f"read differently, silently: {data[:300]!r}"

    check()


# ------------------------------------------------------------------------------ locales
#: (decimal separator, thousands separators that go with it, field separators that go with it)
LOCALES = {
    ".": (["", " ", "\u00a0", "\u202f", ","], [",", ";", "\t"]),
    ",": (["", " ", "\u00a0", "\u202f", "."], [";", "\t"]),
}


def _localised_number(text: str, decimal: str, thousands: str) -> str:
    sign, _, body = text.rpartition("-")
    whole, dot, fraction = body.partition(".")
    if thousands and len(whole) > 3:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = thousands.join([whole, *groups])
    return sign + whole + (decimal + fraction if dot else "")


@st.composite
def localised(draw: st.DrawFn, frame: pd.DataFrame, numbers: tuple[str, ...]) -> bytes:
    """``frame`` written as another locale's spreadsheet would write it."""
    decimal = draw(st.sampled_from(sorted(LOCALES)))
    groupings, separators = LOCALES[decimal]
    thousands = draw(st.sampled_from(groupings))
    sep = draw(st.sampled_from(separators))
    # the narrow no-break space exists in UTF-8 only
    encodings = ["utf-8"] if thousands == "\u202f" else ["utf-8", "cp1252", "latin-1"]
    encoding = draw(st.sampled_from(encodings))
    bom = draw(st.booleans()) and encoding == "utf-8"
    sep_line = draw(st.booleans())
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [sep.join(frame.columns)]
    for row in frame.astype(str).itertuples(index=False):
        cells = []
        for column, cell in zip(frame.columns, row, strict=True):
            if column in numbers:
                cell = _localised_number(cell, decimal, thousands)
            if sep in cell:
                cell = f'"{cell}"'
            cells.append(cell)
        lines.append(sep.join(cells))
    if sep_line:
        lines.insert(0, f"sep={sep}")
    text = line_end.join(lines) + line_end
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


@pytest.mark.parametrize("reader", list(READERS), ids=list(READERS))
def test_locale_variants_are_read_identically_or_refused_clearly(
    reader: str, tmp_path: Path
) -> None:
    make, read = READERS[reader]
    frame = make()
    clean_path = tmp_path / "clean.csv"
    frame.to_csv(clean_path, index=False, lineterminator="\n")
    kind, expected = _outcome(read, clean_path)
    assert kind == "result", f"the clean file must be read: {expected}"
    path = tmp_path / "localised.csv"

    @FUZZ
    @given(data=localised(frame, NUMBER_COLUMNS[reader]))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        kind, found = _outcome(read, path)
        if kind == "error":
            message = str(found)
            named = [path.name, *(repr(c) for c in frame.columns)]
            assert any(name in message for name in named), f"unclear refusal: {message}"
            assert "\n" not in message.strip()
        else:
            assert kind == "result", f"flagged as incomplete: {data[:300]!r}"
            assert _same(found, expected), f"read differently: {data[:300]!r}"

    check()
