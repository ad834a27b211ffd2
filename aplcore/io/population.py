"""Reader of INSEE population counts by sex and 5-year age band."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DuplicateError, InputFormatError, ParameterError, describe_values
from ._common import Source, Table, load_text_table, logger, read_codes, rename_columns, to_numbers

__all__ = ["AGE_BANDS", "read_population_by_age"]

#: The 19 canonical bands of aplcore (same as :data:`aplcore.demand.AGE_BANDS`).
AGE_BANDS: tuple[str, ...] = (*(f"{a}-{a + 4}" for a in range(0, 90, 5)), "90+")

_SEX = r"(?P<sex>hommes?|femmes?|males?|females?|men|women|h|f|m|sexe?[12]|s[12])"
_BAND = r"(?P<lo>\d{1,3})(?:[_\s-]*(?:(?P<hi>\d{1,3})|(?P<plus>plus|\+|p|ou_?plus)))?(?:[_\s]*ans)?"
_WIDE = re.compile(rf"^(?:{_SEX}[_\s-]*)?(?:age[_\s-]*)?{_BAND}$", re.IGNORECASE)
_LONG_VALUE = re.compile(r"^\D*(?P<lo>\d{1,3})(?:\D+(?P<hi>\d{1,3}))?(?P<rest>.*)$")


#: Highest lower bound of an age band read (bands from 90 up, 100+ included, make 90+).
MAX_BAND_LOWER = 120


def _band_of(lower: int) -> str | None:
    if lower % 5 or lower > MAX_BAND_LOWER:
        return None
    return "90+" if lower >= 90 else f"{lower}-{lower + 4}"


def _sex_key(token: str | None) -> str:
    if token is None:
        return "all"
    t = token.lower()
    if t.startswith(("f", "w")) or t.endswith("2"):
        return "female"
    return "male"


def _wide_columns(columns: list[str]) -> dict[str, tuple[str, str, int]]:
    """Map wide column names to (sex, band, lower bound); unrelated columns are left out."""
    found: dict[str, tuple[str, str, int]] = {}
    for col in columns:
        m = _WIDE.match(col.strip())
        if not m:
            continue
        lower = int(m["lo"])
        band = _band_of(lower)
        if band is None:
            continue
        if m["hi"] is not None and int(m["hi"]) != lower + 4:
            logger.warning(
                "column %r read as the band %d-%d (its upper bound looks mistyped)",
                col,
                lower,
                lower + 4,
            )
        if m["hi"] is None and m["plus"] is None and m["sex"] is None:
            continue  # a bare number is not an age band
        found[col] = (_sex_key(m["sex"]), band, lower)
    return found


def read_population_by_age(
    source: Source,
    *,
    code: str = "code",
    layout: str = "auto",
    age: str = "age",
    sex: str | None = "sex",
    count: str = "population",
    columns: Mapping[str, str] | None = None,
    repair_codes: bool = True,
) -> pd.DataFrame:
    """Read population counts by sex and 5-year age band into the 19 canonical bands.

    Both INSEE layouts are read:

    * **wide**: one row per commune and one column per sex and band, named like
      ``hommes_0_4``, ``femmes_95_plus``, ``F90-94``, ``sexe2_85_89`` or, without sex,
      ``0-4`` … ``90+``. A band is identified by its lower bound (a mistyped upper bound such as
      ``hommes_70_47`` is read as 70-74 with a warning); other columns are ignored.
    * **long**: one row per commune, (sex) and band, with columns ``code``, ``age`` (values such
      as ``"0-4"``, ``"00 à 04 ans"``, ``"95+"`` or the lower bound ``95``), optionally ``sex``,
      and ``population``.

    Sexes are summed and the bands 90-94 and 95+ are merged into 90+.

    Parameters
    ----------
    source
        Path of a CSV (separator sniffed), Parquet or Excel file, or a DataFrame.
    code
        Column of commune codes (read as text; integer-looking codes are zero-padded only when
        unambiguous, with a warning and a note in ``attrs["notes"]``).
    layout
        ``"wide"``, ``"long"`` or ``"auto"`` (long when the ``age`` and ``count`` columns exist).
    age, sex, count
        Column names of the long layout (``sex=None`` when counts are not split by sex).
    columns
        Renaming ``{file column: name}`` applied first.
    repair_codes
        Allow the unambiguous repair of integer codes; ``False`` rejects them.

    Returns
    -------
    pandas.DataFrame
        Indexed by commune code (strings, in file order), the 19 columns :data:`AGE_BANDS`,
        float64 (INSEE counts are estimates and need not be whole numbers).

    Raises
    ------
    InputFormatError
        Unreadable or truncated file, missing code column, incomplete set of bands.
    CommuneCodeError
        Codes that are not 5-character INSEE codes (with the offending lines).
    DuplicateError
        A commune (or commune, sex and band in the long layout) on several rows.
    InvalidValueError
        Non-numeric, missing or negative counts.
    """
    what = "population by age"
    if layout not in {"auto", "wide", "long"}:
        msg = f"layout must be 'auto', 'wide' or 'long', got {layout!r}."
        raise ParameterError(msg)
    table = load_text_table(source, what=what)
    rename_columns(table, columns, required=[code], what=what)
    frame = table.frame
    if layout == "auto":
        layout = "long" if age in frame.columns and count in frame.columns else "wide"
    if layout == "long":
        out = _read_long(table, code=code, age=age, sex=sex, count=count, repair=repair_codes)
    else:
        out = _read_wide(table, code=code, repair=repair_codes)
    out.attrs["notes"] = list(frame.attrs.get("notes", []))
    out.attrs["source"] = table.name
    return out


def _read_wide(table: Table, *, code: str, repair: bool) -> pd.DataFrame:
    what = "population by age"
    frame = table.frame
    mapping = _wide_columns([c for c in frame.columns if c != code])
    if not mapping:
        msg = (
            f"{what}: found no age-band columns in {table.name} (columns "
            f"{list(frame.columns)[:10]} ...). Expected wide columns such as 'hommes_0_4', "
            "'femmes_95_plus' or '0-4' … '90+', or a long table with columns 'age' and "
            "'population'."
        )
        fix = "Pass {param}, age=..., count=... for a long table."
        raise InputFormatError(msg, fix=fix, param="layout", value="long")
    sexes = sorted({s for s, _, _ in mapping.values()})
    if "all" in sexes and len(sexes) > 1:
        cols = sorted(c for c, (s, _, _) in mapping.items() if s == "all")
        msg = (
            f"{what}: {table.name} mixes columns split by sex with unsplit ones ({cols[:5]}); "
            "keep one kind (rename or drop the others)."
        )
        raise InputFormatError(msg)
    needed = [*range(0, 90, 5)]
    problems = []
    for s in sexes:
        lowers = {lo for c, (sx, _, lo) in mapping.items() if sx == s}
        lacking = [f"{lo}-{lo + 4}" for lo in needed if lo not in lowers]
        if not ({90, 95} <= lowers or (90 in lowers and _is_open(mapping, s, 90))):
            lacking.append("90-94 and 95+ (or 90+)")
        if lacking:
            problems.append(f"{s}: {', '.join(lacking)}")
    if problems:
        msg = (
            f"{what}: {table.name} lacks age bands ({'; '.join(problems)}). Expected the 5-year "
            "bands 0-4 … 85-89 and 90-94 + 95+ (or 90+) for each sex."
        )
        raise InputFormatError(msg)
    codes = read_codes(table, code, what=what, repair=repair, unique=True)
    data = np.zeros((len(frame), len(AGE_BANDS)))
    position = {b: i for i, b in enumerate(AGE_BANDS)}
    seen: dict[tuple[str, int], str] = {}
    for col, (s, band, lower) in mapping.items():
        if (s, lower) in seen:
            msg = (
                f"{what}: the columns {seen[(s, lower)]!r} and {col!r} of {table.name} both "
                "hold the same sex and band; drop one."
            )
            raise InputFormatError(msg)
        seen[(s, lower)] = col
        data[:, position[band]] += to_numbers(table, col, what=what)
    return pd.DataFrame(data, index=codes, columns=list(AGE_BANDS))


def _is_open(mapping: dict[str, tuple[str, str, int]], sex: str, lower: int) -> bool:
    """Whether the band starting at ``lower`` for ``sex`` is open-ended (``90+``)."""
    return any(
        sx == sex and lo == lower and _WIDE.match(c)["hi"] is None
        for c, (sx, _, lo) in mapping.items()
    )


def _read_long(
    table: Table, *, code: str, age: str, sex: str | None, count: str, repair: bool
) -> pd.DataFrame:
    what = "population by age"
    frame = table.frame
    required = [code, age, count] + ([sex] if sex is not None and sex in frame.columns else [])
    rename_columns(table, None, required=required, what=what)
    codes = read_codes(table, code, what=what, repair=repair)
    values = to_numbers(table, count, what=what)
    text = frame[age].astype(str).str.strip()
    parsed = text.str.extract(_LONG_VALUE)
    lower = pd.to_numeric(parsed["lo"], errors="coerce")
    ok = lower.notna() & (lower % 5 == 0) & (lower <= MAX_BAND_LOWER)
    hi = pd.to_numeric(parsed["hi"], errors="coerce")
    ok &= hi.isna() | (hi == lower + 4)
    if not ok.all():
        rows = np.flatnonzero(~ok.to_numpy())
        msg = (
            f"{what}: the column {age!r} must hold 5-year bands such as '0-4', '00 à 04 ans', "
            f"'95+' or their lower bound; found {describe_values(text.iloc[rows].tolist())} at "
            f"{table.where(rows)}."
        )
        raise InputFormatError(msg)
    bands = lower.astype(int).map(_band_of)
    keys = pd.DataFrame({"code": codes, "lower": lower.astype(int).to_numpy()})
    if sex is not None and sex in frame.columns:
        keys["sex"] = frame[sex].astype(str).str.strip().to_numpy()
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        msg = (
            f"{what}: {int(dup.sum())} rows repeat a commune, sex and band already given, at "
            f"{table.where(rows)} ({describe_values(codes[rows].unique().tolist())}). Remove "
            "the repeated rows."
        )
        raise DuplicateError(msg)
    long = pd.DataFrame({"code": codes, "band": bands.to_numpy(), "n": values})
    wide = long.pivot_table(index="code", columns="band", values="n", aggfunc="sum", sort=False)
    lacking = [b for b in AGE_BANDS if b not in wide.columns]
    if lacking:
        msg = (
            f"{what}: no row of {table.name} gives the bands {lacking}; expected all of "
            "0-4 … 85-89 and 90-94 + 95+ (or 90+)."
        )
        raise InputFormatError(msg)
    wide = wide[list(AGE_BANDS)]
    holes = wide.isna().any(axis=1)
    if holes.any():
        bad = wide.index[holes.to_numpy()].tolist()
        msg = (
            f"{what}: {len(bad)} communes lack some age bands ({describe_values(bad)}); give "
            "every band for every commune (0 where nobody lives)."
        )
        raise InputFormatError(msg)
    wide.index = pd.Index(wide.index.astype(object), name="code")
    wide.columns = pd.Index(list(AGE_BANDS))
    return wide.astype(float)
