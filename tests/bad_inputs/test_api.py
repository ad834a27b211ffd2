"""Catalogue of bad inputs through the Python API: each is refused with a clear error or flagged.

Every case names the entry point, the input and what must happen: the error class and the key
words of its message (what was expected, what was found, how to fix it), or the warning.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore import io
from aplcore.aggregation import aggregate, population_under, weighted_quantiles
from aplcore.apl import LostSupplyWarning
from aplcore.codes import as_code_index, normalise_codes
from aplcore.demand import band_weights
from aplcore.errors import (
    AplcoreError,
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MismatchError,
    MissingCommuneError,
    ParameterError,
)
from aplcore.traveltimes import TravelTimes

CODES = ["01001", "01002", "01004", "01005"]


def od(**columns: Any) -> pd.DataFrame:
    """A small complete O-D table, with columns replaced as given."""
    rows = [
        (a, b, 0.0 if a == b else 5.0 + 3 * abs(i - j))
        for i, a in enumerate(CODES)
        for j, b in enumerate(CODES)
    ]
    frame = pd.DataFrame(rows, columns=["origin", "destination", "minutes"])
    for name, values in columns.items():
        frame[name] = values
    return frame


def tt() -> TravelTimes:
    return TravelTimes.from_frame(od())


def series(values: Any, index: Any = None) -> pd.Series:
    return pd.Series(values, index=CODES if index is None else index, dtype="float64")


DEMAND = series([1000.0, 500.0, 200.0, 300.0])
SUPPLY = pd.Series([5000.0, 4000.0], index=["01001", "01005"])


def gps(**columns: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "practitioner_id": ["a", "b", "c"],
            "commune": ["01001", "01001", "01005"],
            "activity": [4000.0, 5000.0, 300.0],
            "age": [45, 50, 61],
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def bands(**changes: Any) -> pd.DataFrame:
    frame = pd.DataFrame(10.0, index=pd.Index(CODES, name="code"), columns=list(aplcore.AGE_BANDS))
    for name, values in changes.items():
        frame[name.replace("_", "-").replace("plus", "+")] = values
    return frame


def result() -> aplcore.APLResult:
    return aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY, population=DEMAND)


def _corrupt_npz() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="aplcore-bad-"))
    path = folder / "bad.npz"
    path.write_bytes(b"PK\x03\x04 cut short")
    return path


@dataclass(frozen=True)
class Raises:
    error: type[BaseException]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Warns:
    warning: type[Warning]
    words: tuple[str, ...]


def raises(error: type[BaseException], *words: str) -> Raises:
    return Raises(error, words)


def warns(warning: type[Warning], *words: str) -> Warns:
    return Warns(warning, words)


CASES: list[tuple[str, Callable[[], Any], Raises | Warns]] = [
    # ------------------------------------------------------------ commune codes
    (
        "codes-integers",
        lambda: normalise_codes([1001, 1002]),
        raises(CommuneCodeError, "numbers", "repair_integers"),
    ),
    (
        "codes-missing",
        lambda: normalise_codes(["01001", None]),
        raises(CommuneCodeError, "missing"),
    ),
    (
        "codes-too-short",
        lambda: normalise_codes(["1001"]),
        raises(CommuneCodeError, "'1001'", "5 characters"),
    ),
    ("codes-letters", lambda: normalise_codes(["ABCDE"]), raises(CommuneCodeError, "'ABCDE'")),
    (
        "codes-corsica-lowercase",
        lambda: normalise_codes(["2a004"]),
        raises(CommuneCodeError, "'2a004'"),
    ),
    ("codes-float-text", lambda: normalise_codes(["1001.0"]), raises(CommuneCodeError, "'1001.0'")),
    (
        "codes-repair-negative",
        lambda: normalise_codes([-1], repair_integers=True),
        raises(CommuneCodeError, "cannot repair"),
    ),
    ("codes-cut-short", lambda: normalise_codes(["4500"]), raises(CommuneCodeError, "cut short")),
    (
        "codes-lost-zero-hint",
        lambda: normalise_codes(["1001"]),
        raises(CommuneCodeError, "lost their leading zero"),
    ),
    (
        "codes-duplicated",
        lambda: as_code_index(["01001", "01001"]),
        raises(DuplicateError, "'01001'", "unique"),
    ),
    # ------------------------------------------------------------ travel times
    ("tt-not-a-table", lambda: TravelTimes.from_frame([1, 2, 3]), raises(AplcoreError)),
    (
        "tt-missing-column",
        lambda: TravelTimes.from_frame(od().drop(columns="minutes")),
        raises(InputFormatError, "minutes"),
    ),
    (
        "tt-negative-minutes",
        lambda: TravelTimes.from_frame(od(minutes=-1.0)),
        raises(InvalidValueError, "minutes"),
    ),
    (
        "tt-nan-minutes",
        lambda: TravelTimes.from_frame(od(minutes=np.nan)),
        raises(InvalidValueError, "minutes"),
    ),
    (
        "tt-inf-minutes",
        lambda: TravelTimes.from_frame(od(minutes=np.inf)),
        raises(InvalidValueError, "minutes"),
    ),
    (
        "tt-text-minutes",
        lambda: TravelTimes.from_frame(od(minutes="ten")),
        raises(InvalidValueError, "minutes"),
    ),
    (
        "tt-boolean-minutes",
        lambda: TravelTimes.from_frame(od(minutes=True)),
        raises(InvalidValueError, "minutes"),
    ),
    (
        "tt-integer-codes",
        lambda: TravelTimes.from_frame(od(origin=1001)),
        raises(CommuneCodeError, "origin"),
    ),
    (
        "tt-duplicate-pairs",
        lambda: TravelTimes.from_frame(pd.concat([od(), od().head(1)])),
        raises(DuplicateError, "01001"),
    ),
    (
        "tt-missing-self-pair",
        lambda: TravelTimes.from_frame(od().iloc[1:]),
        raises(MissingCommuneError, "01001"),
    ),
    ("tt-empty", lambda: TravelTimes.from_frame(od().iloc[:0]), raises(InputFormatError, "empty")),
    (
        "tt-negative-intra",
        lambda: TravelTimes.from_frame(od().iloc[1:], intra_minutes=-2.0),
        raises(InvalidValueError, "intra"),
    ),
    (
        "tt-negative-max",
        lambda: TravelTimes.from_frame(od(), max_minutes=-5),
        raises(ParameterError, "max_minutes"),
    ),
    (
        "tt-duplicates-option",
        lambda: TravelTimes.from_frame(od(), duplicates="sum"),
        raises(ParameterError, "duplicates"),
    ),
    # ------------------------------------------------------------ demand
    (
        "demand-negative",
        lambda: aplcore.compute_apl(tt(), demand=series([-1.0, 1, 1, 1]), supply=SUPPLY),
        raises(InvalidValueError, "non-negative", "01001"),
    ),
    (
        "demand-nan",
        lambda: aplcore.compute_apl(tt(), demand=series([np.nan, 1, 1, 1]), supply=SUPPLY),
        raises(InvalidValueError, "finite", "01001"),
    ),
    (
        "demand-inf",
        lambda: aplcore.compute_apl(tt(), demand=series([np.inf, 1, 1, 1]), supply=SUPPLY),
        raises(InvalidValueError, "finite"),
    ),
    (
        "demand-subnormal",
        lambda: aplcore.compute_apl(tt(), demand=series([5e-324, 0, 0, 0]), supply=SUPPLY),
        raises(InvalidValueError, "floor", "01001"),
    ),
    (
        "demand-text",
        lambda: aplcore.compute_apl(tt(), demand=pd.Series(["1"] * 4, index=CODES), supply=SUPPLY),
        raises(InvalidValueError, "numbers"),
    ),
    (
        "demand-missing-commune",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND.iloc[:3], supply=SUPPLY),
        raises(MissingCommuneError, "01005", "missing_demand"),
    ),
    (
        "demand-unknown-commune",
        lambda: aplcore.compute_apl(
            tt(), demand=pd.concat([DEMAND, series([1.0], ["01006"])]), supply=SUPPLY
        ),
        raises(MissingCommuneError, "01006", "travel times"),
    ),
    (
        "demand-duplicated",
        lambda: aplcore.compute_apl(
            tt(), demand=pd.concat([DEMAND, DEMAND.iloc[:1]]), supply=SUPPLY
        ),
        raises(DuplicateError, "01001"),
    ),
    (
        "demand-empty",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND.iloc[:0], supply=SUPPLY),
        raises(InputFormatError, "empty"),
    ),
    (
        "demand-list",
        lambda: aplcore.compute_apl(tt(), demand=[1.0, 2.0], supply=SUPPLY),
        raises(InputFormatError, "Series"),
    ),
    (
        "demand-integer-index",
        lambda: aplcore.compute_apl(tt(), demand=pd.Series([1.0], index=[1001]), supply=SUPPLY),
        raises(CommuneCodeError, "numbers"),
    ),
    (
        "missing-demand-option",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY, missing_demand="drop"),
        raises(ParameterError, "missing_demand"),
    ),
    # ------------------------------------------------------------ supply and results
    (
        "supply-negative",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=pd.Series([-1.0], index=["01001"])),
        raises(InvalidValueError, "supply"),
    ),
    (
        "supply-overflow",
        lambda: aplcore.compute_apl(
            tt(), demand=DEMAND, supply=pd.Series([1e308], index=["01001"]), scale=1e5
        ),
        raises(InvalidValueError, "not finite"),
    ),
    (
        "scale-zero",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY, scale=0),
        raises(ParameterError, "scale"),
    ),
    (
        "scale-nan",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY, scale=np.nan),
        raises(ParameterError, "scale"),
    ),
    (
        "method-unknown",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY, method="4sfca"),
        raises(ParameterError, "4sfca", "methods"),
    ),
    (
        "decay-unknown",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY, decay="drees_2099"),
        raises(ParameterError, "drees_2099"),
    ),
    (
        "travel-times-not-tt",
        lambda: aplcore.compute_apl(od(), demand=DEMAND, supply=SUPPLY),
        raises(InputFormatError, "TravelTimes"),
    ),
    (
        "supply-lost",
        lambda: aplcore.compute_apl(
            tt(),
            demand=series([0, 0, 0, 1.0]),
            supply=pd.Series([1.0], index=["01001"]),
            decay=aplcore.linear_decay(5.0),
        ),
        warns(LostSupplyWarning, "01001", "lost"),
    ),
    (
        "batch-columns-differ",
        lambda: aplcore.prepare(tt()).solve_batch(DEMAND.to_frame("a"), SUPPLY.to_frame("b")),
        raises(MismatchError, "same columns"),
    ),
    # ------------------------------------------------------------ practitioners
    (
        "gp-missing-id",
        lambda: aplcore.count_gp_activity(gps(practitioner_id=["a", None, "c"])),
        raises(InvalidValueError, "practitioner_id is missing", "1"),
    ),
    (
        "gp-missing-column",
        lambda: aplcore.count_gp_activity(gps().drop(columns="activity")),
        raises(InputFormatError, "activity"),
    ),
    (
        "gp-no-age-with-max-age",
        lambda: aplcore.count_gp_activity(gps().drop(columns="age")),
        raises(InputFormatError, "age"),
    ),
    (
        "gp-negative-activity",
        lambda: aplcore.count_gp_activity(gps(activity=[-1.0, 1, 1])),
        raises(InvalidValueError, "activity", "non-negative"),
    ),
    (
        "gp-nan-activity",
        lambda: aplcore.count_gp_activity(gps(activity=[np.nan, 1, 1])),
        raises(InvalidValueError, "activity"),
    ),
    (
        "gp-text-activity",
        lambda: aplcore.count_gp_activity(gps(activity=["1", "2", "3"])),
        raises(InvalidValueError, "numbers"),
    ),
    (
        "gp-age-implausible",
        lambda: aplcore.count_gp_activity(gps(age=[45, 50, 170])),
        raises(InvalidValueError, "ages", "170"),
    ),
    (
        "gp-age-inconsistent",
        lambda: aplcore.count_gp_activity(
            gps(
                practitioner_id=["a", "a", "c"],
                commune=["01001", "01002", "01005"],
                age=[45, 46, 50],
            )
        ),
        raises(InvalidValueError, "different ages"),
    ),
    (
        "gp-bad-kind",
        lambda: aplcore.count_gp_activity(gps(kind=["liberal", "hospital", "liberal"])),
        raises(InvalidValueError, "kind", "hospital"),
    ),
    (
        "gp-new-install-text",
        lambda: aplcore.count_gp_activity(gps(new_install=["yes", "no", "no"])),
        raises(InvalidValueError, "new_install"),
    ),
    (
        "gp-duplicate-site",
        lambda: aplcore.count_gp_activity(gps(practitioner_id=["a", "a", "c"], age=50)),
        raises(DuplicateError, "'a'"),
    ),
    (
        "gp-empty",
        lambda: aplcore.count_gp_activity(gps().iloc[:0]),
        raises(InputFormatError, "empty"),
    ),
    (
        "gp-max-age-out-of-range",
        lambda: aplcore.count_gp_activity(gps(), max_age=10),
        raises(ParameterError, "max_age"),
    ),
    (
        "gp-all-above-max-age",
        lambda: aplcore.count_gp_activity(gps(age=[70, 71, 72])),
        raises(InvalidValueError, "older than max_age=65"),
    ),
    (
        "gp-integer-communes",
        lambda: aplcore.count_gp_activity(gps(commune=[1001, 1001, 1005])),
        raises(CommuneCodeError, "numbers"),
    ),
    (
        "gp-rules-inverted",
        lambda: aplcore.GPActivityRules(floor=7000.0),
        raises(ParameterError, "zero_below <= floor <= cap"),
    ),
    ("fte-max-negative", lambda: aplcore.FTERules(max_fte=-1.0), raises(ParameterError, "max_fte")),
    # ------------------------------------------------------------ population by age
    (
        "bands-missing-band",
        lambda: aplcore.standardise_population(bands().drop(columns="90+")),
        raises(InputFormatError, "90+"),
    ),
    (
        "bands-extra-total",
        lambda: aplcore.standardise_population(bands().assign(total=1.0)),
        raises(InputFormatError, "total"),
    ),
    (
        "bands-hundred-plus",
        lambda: aplcore.standardise_population(bands().assign(**{"100+": 3.0})),
        raises(InputFormatError, "100+"),
    ),
    (
        "bands-negative",
        lambda: aplcore.standardise_population(bands(**{"0-4": -1.0})),
        raises(InvalidValueError, "01001"),
    ),
    (
        "bands-nan",
        lambda: aplcore.standardise_population(bands(**{"0-4": np.nan})),
        raises(InvalidValueError, "missing"),
    ),
    (
        "bands-text",
        lambda: aplcore.standardise_population(bands(**{"0-4": "10"})),
        raises(InvalidValueError, "0-4"),
    ),
    (
        "bands-empty",
        lambda: aplcore.standardise_population(bands().iloc[:0]),
        raises(InputFormatError, "empty"),
    ),
    (
        "bands-not-a-frame",
        lambda: aplcore.standardise_population([1, 2]),
        raises(InputFormatError, "DataFrame"),
    ),
    (
        "weights-unknown-preset",
        lambda: band_weights("drees_2099"),
        raises(ParameterError, "drees_2099", "presets"),
    ),
    ("weights-wrong-length", lambda: band_weights([1.0] * 18), raises(ParameterError, "19")),
    ("weights-negative", lambda: band_weights([-1.0] * 19), raises(ParameterError, "non-negative")),
    # ------------------------------------------------------------ aggregation and statistics
    (
        "aggregate-missing-group",
        lambda: result().aggregate(pd.Series(["A", None, "B", "B"], index=CODES)),
        raises(MissingCommuneError, "01002", "dropna"),
    ),
    (
        "aggregate-absent-commune",
        lambda: result().aggregate(pd.Series(["A", "B"], index=CODES[:2])),
        raises(MissingCommuneError, "01004"),
    ),
    (
        "aggregate-bad-weights",
        lambda: result().aggregate(pd.Series("A", index=CODES), weights="median"),
        raises(ParameterError, "weights"),
    ),
    (
        "aggregate-negative-weight",
        lambda: aggregate(series([1.0] * 4), series([-1.0, 1, 1, 1]), pd.Series("A", index=CODES)),
        raises(InvalidValueError, "non-negative"),
    ),
    (
        "aggregate-nan-values",
        lambda: aggregate(
            series([np.nan, 1, 1, 1]), series([1.0] * 4), pd.Series("A", index=CODES)
        ),
        raises(InvalidValueError, "finite", "01001"),
    ),
    (
        "population-under-nan",
        lambda: result().population_under(math.nan),
        raises(ParameterError, "finite number"),
    ),
    (
        "population-under-text",
        lambda: population_under(series([1.0] * 4), series([1.0] * 4), "2.5"),
        raises(ParameterError, "finite number"),
    ),
    (
        "population-under-nan-values",
        lambda: population_under(series([np.nan, 1, 1, 1]), series([1.0] * 4), 2.5),
        raises(InvalidValueError, "01001"),
    ),
    (
        "quantile-out-of-range",
        lambda: weighted_quantiles(series([1.0] * 4), series([1.0] * 4), 1.5),
        raises(ParameterError, "[0, 1]"),
    ),
    (
        "total-weights-without-population",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY).population_under(2.5),
        raises(ParameterError, "population="),
    ),
    # ------------------------------------------------------------ zoning arguments
    (
        "zoning-unknown-method",
        lambda: aplcore.classify_zones(DEMAND / 300, population=DEMAND, method="zonage_2099"),
        raises(AplcoreError, "zonage_2099"),
    ),
    (
        "zoning-negative-threshold",
        lambda: aplcore.classify_zones(DEMAND / 300, population=DEMAND, thresholds=(-1.0, 3.0)),
        raises(AplcoreError, "threshold"),
    ),
    (
        "zoning-thresholds-unsorted",
        lambda: aplcore.classify_zones(DEMAND / 300, population=DEMAND, thresholds=(4.0, 3.0)),
        raises(AplcoreError, "threshold"),
    ),
    (
        "zoning-nan-apl",
        lambda: aplcore.classify_zones(series([np.nan, 1, 1, 1]), population=DEMAND),
        raises(AplcoreError, "01001"),
    ),
    (
        "zoning-negative-population",
        lambda: aplcore.classify_zones(DEMAND / 300, population=series([-1.0, 1, 1, 1])),
        raises(AplcoreError, "01001"),
    ),
    (
        "zoning-population-missing-commune",
        lambda: aplcore.classify_zones(DEMAND / 300, population=DEMAND.iloc[:3]),
        raises(AplcoreError, "01005"),
    ),
    (
        "matrix-file-corrupt",
        lambda: aplcore.load_travel_times(_corrupt_npz()),
        raises(InputFormatError, "bad.npz", "Write it again"),
    ),
    # ------------------------------------------------------------ readers (objects)
    (
        "read-practitioners-missing-column",
        lambda: io.read_practitioners(gps().drop(columns="commune")),
        raises(InputFormatError, "commune"),
    ),
    (
        "read-territories-missing-code",
        lambda: io.read_territories(pd.DataFrame({"territory": ["T1"]})),
        raises(InputFormatError, "code"),
    ),
    (
        "read-population-no-code",
        lambda: io.read_population_by_age(pd.DataFrame({"x": [1]})),
        raises(InputFormatError),
    ),
]


def _words_in(message: str, words: tuple[str, ...]) -> None:
    for word in words:
        assert word in message, f"{word!r} not in the message: {message}"


@pytest.mark.parametrize(("run", "expect"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(run: Callable[[], Any], expect: Raises | Warns) -> None:
    if isinstance(expect, Raises):
        with pytest.raises(expect.error) as info:
            run()
        assert isinstance(info.value, ValueError), "aplcore errors subclass ValueError"
        _words_in(str(info.value), expect.words)
        assert "\n" not in str(info.value).strip(), "messages are one line"
    else:
        with pytest.warns(expect.warning) as record:
            run()
        _words_in(" ".join(str(w.message) for w in record), expect.words)


def test_the_catalogue_has_unique_names() -> None:
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


def test_no_case_warns_about_numpy_arithmetic() -> None:
    """Refused inputs are refused before NumPy can warn about overflow or invalid values."""
    leaking = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for name, run, _ in CASES:
            try:
                run()
            except RuntimeWarning as warning:
                leaking.append(f"{name}: {warning}")
            except (AplcoreError, Warning):
                pass
    assert leaking == []
