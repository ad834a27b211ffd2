"""Bad input gets a clear error naming the problem, the offending values and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aplcore
from aplcore.errors import (
    AplcoreError,
    CommuneCodeError,
    DuplicateError,
    InputFormatError,
    InvalidValueError,
    MissingCommuneError,
    ParameterError,
)

CODES = ["01001", "01002"]


def od(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "origin": ["01001", "01001", "01002", "01002"],
            "destination": ["01001", "01002", "01001", "01002"],
            "minutes": [0.0, 12.0, 13.0, 0.0],
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def tt() -> aplcore.TravelTimes:
    return aplcore.TravelTimes.from_frame(od())


def practitioners(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "practitioner_id": [1, 2],
            "commune": ["01001", "01002"],
            "activity": [4000.0, 5000.0],
            "age": [45, 50],
            "kind": ["liberal", "centre_sante"],
            "new_install": [False, False],
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def test_errors_are_value_errors():
    assert issubclass(AplcoreError, ValueError)


@pytest.mark.parametrize(
    ("frame", "error", "match"),
    [
        (od(origin=[1001, 1001, 1002, 1002]), CommuneCodeError, "found numbers .*1001.*text"),
        (
            od(origin=["1001", "1001", "01002", "01002"]),
            CommuneCodeError,
            "lost their leading zero",
        ),
        (od(destination=["01001", "ABCDE", "01001", "01002"]), CommuneCodeError, "'ABCDE'"),
        (od(minutes=[0.0, -1.0, 13.0, 0.0]), InvalidValueError, "row 1: -1.0"),
        (od(minutes=[0.0, np.nan, 13.0, 0.0]), InvalidValueError, "row 1: nan"),
        (od(minutes=[0.0, np.inf, 13.0, 0.0]), InvalidValueError, "row 1: inf"),
        (od().iloc[:0], InputFormatError, "empty"),
        (
            od().rename(columns={"minutes": "duree"}),
            InputFormatError,
            r"lacks the columns \['minutes'\]",
        ),
        (pd.concat([od(), od().iloc[[1]]]), DuplicateError, "01001 → 01002.*duplicates='min'"),
        (od().iloc[:3], MissingCommuneError, "intra-commune pair.*'01002'.*intra_minutes"),
    ],
)
def test_bad_travel_times(frame, error, match):
    with pytest.raises(error, match=match):
        aplcore.TravelTimes.from_frame(frame)


def test_integer_codes_can_be_repaired_on_request():
    repaired = aplcore.TravelTimes.from_frame(
        od(origin=[1001, 1001, 1002, 1002], destination=[1001, 1002, 1001, 1002]),
        repair_integers=True,
    )
    assert repaired.codes.tolist() == CODES


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"demand": pd.Series([1.0, 2.0, 3.0], index=[*CODES, "99999"])}, MissingCommuneError,
         "communes of the demand are not in the travel times: '99999'"),
        ({"supply": pd.Series([1.0], index=["2A004"])}, MissingCommuneError,
         "communes of the supply are not in the travel times: '2A004'"),
        ({"demand": pd.Series([1.0], index=["01001"])}, MissingCommuneError,
         "no value for 1 communes.*'01002'.*missing_demand='zero'"),
        ({"demand": pd.Series([1.0, -5.0], index=CODES)}, InvalidValueError, "01002: -5.0"),
        ({"demand": pd.Series([1.0, np.nan], index=CODES)}, InvalidValueError, "01002: nan"),
        ({"supply": pd.Series([np.inf, 1.0], index=CODES)}, InvalidValueError, "01001: inf"),
        ({"demand": pd.Series([1.0, 2.0], index=[1001, 1002])}, CommuneCodeError, "found numbers"),
        ({"demand": pd.Series([1.0, 2.0, 3.0], index=["01001", "01002", "01002"])},
         DuplicateError, "more than once: '01002'"),
        ({"demand": pd.Series([], dtype=float)}, InputFormatError, "demand is empty"),
        ({"method": "4sfca"}, ParameterError, "unknown method '4sfca'"),
        ({"scale": 0}, ParameterError, "scale must be a positive number"),
    ],
)  # fmt: skip
def test_bad_demand_supply_and_options(kwargs, error, match):
    arguments = {
        "demand": pd.Series([100.0, 200.0], index=CODES),
        "supply": pd.Series([3600.0, 0.0], index=CODES),
    } | kwargs
    with pytest.raises(error, match=match):
        aplcore.compute_apl(tt(), **arguments)


def test_missing_demand_can_be_zero_on_request():
    result = aplcore.compute_apl(
        tt(),
        demand=pd.Series([100.0], index=["01001"]),
        supply=pd.Series([3600.0], index=["01001"]),
        missing_demand="zero",
    )
    assert result.demand.loc["01002"] == 0


def test_compute_apl_needs_travel_times():
    with pytest.raises(InputFormatError, match=r"expected aplcore\.TravelTimes, found DataFrame"):
        aplcore.compute_apl(od(), demand=pd.Series(dtype=float), supply=pd.Series(dtype=float))


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (practitioners(age=[45, 130]), {}, InvalidValueError, r"between 20 and 100.*row 1: 130"),
        (practitioners(age=[45, 12]), {}, InvalidValueError, "row 1: 12"),
        (practitioners(kind=["liberal", "hopital"]), {}, InvalidValueError, "row 1: 'hopital'"),
        (practitioners(activity=[4000.0, -3.0]), {}, InvalidValueError, "row 1: -3.0"),
        (practitioners(activity=[4000.0, np.nan]), {}, InvalidValueError, "row 1: nan"),
        (practitioners(commune=[1001, 1002]), {}, CommuneCodeError, "found numbers"),
        (practitioners().drop(columns="age"), {}, InputFormatError, r"lacks the columns \['age'\]"),
        (practitioners().iloc[:0], {}, InputFormatError, "practitioner table is empty"),
        (pd.concat([practitioners(), practitioners().iloc[[0]]]), {}, DuplicateError,
         r"\(1, '01001', 'liberal'\)"),
        (practitioners(practitioner_id=[1, 1], commune=["01001", "01002"], age=[45, 46],
                       kind=["liberal", "liberal"]), {}, InvalidValueError, "different ages"),
        (practitioners(), {"max_age": 5}, ParameterError, "max_age must lie in"),
        (practitioners(new_install=["no", "yes"]), {}, InvalidValueError, "boolean column"),
    ],
)  # fmt: skip
def test_bad_practitioners(frame, kwargs, error, match):
    with pytest.raises(error, match=match):
        aplcore.count_gp_activity(frame, **kwargs)


def bands(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(np.ones((2, 19)), index=CODES, columns=aplcore.AGE_BANDS)
    for column, values in overrides.items():
        frame[column] = values
    return frame


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (bands().drop(columns="90+"), {}, InputFormatError, r"missing \['90\+'\]"),
        (bands(total=[19, 19]), {}, InputFormatError, r"unexpected \['total'\]"),
        (bands(), {"weights": [1.0] * 18}, ParameterError, "19 age-band weights.*found 18"),
        (bands(), {"weights": "drees_gp_2030"}, ParameterError, "unknown weight preset"),
        (bands(**{"0-4": [1.0, -2.0]}), {}, InvalidValueError, "'01002'"),
        (bands().iloc[:0], {}, InputFormatError, "population table is empty"),
        (bands().set_axis([1001, 1002]), {}, CommuneCodeError, "found numbers"),
        (bands().set_axis(["01001", "01001"]), {}, DuplicateError, "'01001'"),
    ],
)  # fmt: skip
def test_bad_population_tables(frame, kwargs, error, match):
    with pytest.raises(error, match=match):
        aplcore.standardise_population(frame, **kwargs)
