"""Catalogue of plausible mistakes: files and values that parse fine but mean something else.

Units and scales, locale formats, identities, travel-time coverage, decays, cap units and
scenario specs. Each case is refused with a clear error, flagged with a named warning, or read
to exactly the right result (with no warning).
"""

from __future__ import annotations

import codecs
import dataclasses
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
from aplcore.codes import normalise_codes
from aplcore.decay_text import decay_from_text
from aplcore.demand import WEIGHT_PRESETS, band_weights
from aplcore.errors import (
    AplcoreWarning,
    DuplicateError,
    ImplausibleValueWarning,
    InputFormatError,
    InvalidValueError,
    MismatchError,
    ParameterError,
)
from aplcore.plausibility import ranges_table
from aplcore.scenarios.size import check_run_size
from aplcore.scenarios.spec import load_spec
from aplcore.traveltimes import TravelTimes
from aplcore.zoning.caps import resolve_caps

CODES = ["01001", "01002", "01004", "01005"]
DEMAND = pd.Series([1000.0, 500.0, 200.0, 300.0], index=CODES)
SUPPLY = pd.Series([5000.0, 4000.0], index=["01001", "01005"])
FOLDER = Path(tempfile.mkdtemp(prefix="aplcore-plausible-"))


# ------------------------------------------------------------------------------ builders
def od(minutes_apart: float = 5.0, codes: list[str] = CODES) -> pd.DataFrame:
    rows = [
        (a, b, 0.0 if a == b else minutes_apart + 3 * abs(i - j))
        for i, a in enumerate(codes)
        for j, b in enumerate(codes)
    ]
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


def tt(**options: Any) -> TravelTimes:
    return TravelTimes.from_frame(od(), **options)


def gps(**columns: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "practitioner_id": ["a", "b", "c"],
            "commune": ["01001", "01001", "01005"],
            "activity": [4000.0, 5000.0, 3000.0],
            "age": [45, 50, 61],
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def two_sites(first: Any, second: Any) -> pd.DataFrame:
    """One GP (or two?) at two sites, each with 2 000 consultations."""
    return pd.DataFrame(
        {
            "practitioner_id": [first, second],
            "commune": ["01001", "01002"],
            "activity": [2000.0, 2000.0],
            "age": [50, 50],
        }
    )


def bands(total: float = 190.0) -> pd.DataFrame:
    return pd.DataFrame(
        total / 19, index=pd.Index(CODES, name="code"), columns=list(aplcore.AGE_BANDS)
    )


def file(name: str, data: str | bytes) -> Path:
    path = FOLDER / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def gp_csv(activity: list[str], sep: str = ",", quote: bool = True) -> str:
    q = '"' if quote else ""
    rows = [f"dr{k}{sep}0100{k + 1}{sep}{q}{a}{q}{sep}50" for k, a in enumerate(activity)]
    return "\n".join([sep.join(["practitioner_id", "commune", "activity", "age"]), *rows]) + "\n"


def read_activity(name: str, text: str | bytes) -> list[float]:
    return io.read_practitioners(file(name, text))["activity"].tolist()


def od_csv(minutes: list[str], sep: str = ",", header: str = "") -> str:
    lines = [f"origin{sep}destination{sep}minutes"]
    k = 0
    for a in ("01001", "01002"):
        for b in ("01001", "01002"):
            value = "0" if a == b else minutes[k]
            k += a != b
            lines.append(f"{a}{sep}{b}{sep}{value}")
    return header + "\n".join(lines) + "\n"


def od_minutes(name: str, text: str, **options: Any) -> list[float]:
    times = aplcore.travel_times_from_table(file(name, text), max_minutes=None, **options)
    return times.minutes.tolist()


def territories_csv(encoding: str, bom: bytes = b"", names=("Orléans", "Œuvre – “x”")) -> bytes:
    text = "code;territory\n" + "".join(f"0100{k + 1};{n}\n" for k, n in enumerate(names))
    return bom + text.encode(encoding)


def one_way(codes: list[str], *, keep: Callable[[int, int], bool]) -> pd.DataFrame:
    rows = [
        (a, b, 1.0 + abs(i - j))
        for i, a in enumerate(codes)
        for j, b in enumerate(codes)
        if i == j or keep(i, j)
    ]
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


TEN = ["01001", "01002", "01004", "01005", "01006", "01007", "01008", "01009", "01010", "01011"]


def classify(apl: pd.Series, **options: Any) -> aplcore.Zoning:
    codes = [f"450{i:02d}" for i in range(1, 11)]
    values = pd.Series(apl.to_numpy(), index=codes)
    territory = pd.Series([f"T{i // 2}" for i in range(10)], index=codes)
    return aplcore.classify_zones(
        values, population=pd.Series(1000.0, index=codes), territory=territory, **options
    )


APL10 = pd.Series(np.linspace(1.5, 5.0, 10))
REGION = pd.Series([10_000.0], index=pd.Index(["24"], name="region"))


def caps(caps: Any, **options: Any) -> pd.DataFrame:
    return resolve_caps(caps, zones=("ZIP", "ZAC", "HZ"), region_population=REGION, **options)


def spec(extra: str, baseline: str = "") -> Path:
    """A scenario spec whose baseline files exist, with ``extra`` appended."""
    folder = FOLDER / "spec"
    folder.mkdir(exist_ok=True)
    for name in ("od.csv", "pop.csv", "gps.csv"):
        (folder / name).write_text("x\n")
    text = (
        '[baseline]\ntimes = "od.csv"\npopulation = "pop.csv"\npractitioners = "gps.csv"\n'
        f"{baseline}\n{extra}\n"
    )
    path = folder / "spec.toml"
    path.write_text(text)
    return path


def scenario(line: str) -> Path:
    return spec(f'[[scenario]]\nname = "s"\n{line}')


def mc(line: str) -> Path:
    return spec(f"[monte_carlo]\ndraws = 10\nseed = 1\n{line}")


# ------------------------------------------------------------------------------ expectations
@dataclass(frozen=True)
class Raises:
    error: type[BaseException]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Warns:
    warning: type[Warning]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Gives:
    """The call returns ``check(result)`` true, without any aplcore warning."""

    check: Callable[[Any], bool]


def raises(error: type[BaseException], *words: str) -> Raises:
    return Raises(error, words)


def warns(*words: str, warning: type[Warning] = ImplausibleValueWarning) -> Warns:
    return Warns(warning, words)


def gives(check: Callable[[Any], bool]) -> Gives:
    return Gives(check)


def equals(expected: Any) -> Gives:
    return Gives(lambda found: found == expected)


def silenced(run: Callable[[], Any], action: str = "ignore", **options: Any) -> Callable[[], Any]:
    def call() -> Any:
        with aplcore.implausible_values(action, **options):  # type: ignore[arg-type]
            return run()

    return call


PERCENT_2023 = [100 * w for w in WEIGHT_PRESETS["drees_gp_2023"]]
GP_APL_DEMAND = DEMAND * 100

CASES: list[tuple[str, Callable[[], Any], Raises | Warns | Gives]] = [
    # ------------------------------------------------------------ 1. units and scales
    ("weights-percentages-2023", lambda: band_weights(PERCENT_2023), warns("percentages", "112")),
    (
        "weights-percentages-2022",
        lambda: band_weights([100 * w for w in WEIGHT_PRESETS["drees_gp_2022"]]),
        warns("divide them by 100"),
    ),
    (
        "weights-one-band-in-percent",
        lambda: band_weights([112.0, *WEIGHT_PRESETS["drees_gp_2023"][1:]]),
        warns("'0-4'", "112"),
    ),
    (
        "weights-per-mille",
        lambda: band_weights([w / 100 for w in WEIGHT_PRESETS["drees_gp_2023"]]),
        warns("per-mille"),
    ),
    (
        "weights-mapping-in-percent",
        lambda: band_weights(dict(zip(aplcore.AGE_BANDS, PERCENT_2023, strict=True))),
        warns("percentages"),
    ),
    (
        "weights-official-are-plausible",
        lambda: band_weights("drees_gp_2022"),
        gives(lambda w: len(w) == 19),
    ),
    (
        "standardise-percent-weights",
        lambda: aplcore.standardise_population(bands(), PERCENT_2023),
        warns("standardised / total", "percentages"),
    ),
    (
        "standardise-region-total-as-commune",
        lambda: aplcore.standardise_population(bands(3_800_000.0)),
        warns("population of a commune", "département or région total"),
    ),
    (
        "standardise-plausible",
        lambda: aplcore.standardise_population(bands()),
        gives(lambda p: p.gt(0).all()),
    ),
    (
        "gp-activity-in-thousands",
        lambda: aplcore.count_gp_activity(gps(activity=[5.0, 3.0, 4.0])),
        warns("thousands", "multiply by 1 000"),
    ),
    (
        "gp-activity-in-thousands-several-sites",
        lambda: aplcore.count_gp_activity(
            gps(
                practitioner_id=["a", "a", "c"], commune=["01001", "01002", "01005"], age=50
            ).assign(activity=[2.0, 2.5, 3.0])
        ),
        warns("median is 3.75"),
    ),
    (
        "gp-activity-over-ten-years",
        lambda: aplcore.count_gp_activity(gps(activity=[45_000.0, 50_000.0, 30_000.0])),
        warns("several years"),
    ),
    (
        "gp-activity-plausible-no-warning",
        lambda: aplcore.count_gp_activity(gps()),
        gives(lambda s: s.to_dict() == {"01001": 9000.0, "01005": 3600.0}),
    ),
    (
        "gp-activity-new-installations-ignored",
        lambda: aplcore.count_gp_activity(
            gps(activity=[0.0, 0.0, 4000.0], new_install=[True, True, False])
        ),
        gives(lambda s: s["01001"] == 10_800.0),
    ),
    (
        "demand-region-total-as-commune",
        lambda: aplcore.compute_apl(
            tt(), demand=pd.Series([3.0e6, 500, 200, 300], index=CODES), supply=SUPPLY
        ),
        warns("population of a commune", "'01001'"),
    ),
    (
        "demand-hundred-times-population",
        lambda: aplcore.compute_apl(tt(), demand=GP_APL_DEMAND, supply=SUPPLY, population=DEMAND),
        warns("demand / population", "found 100"),
    ),
    (
        "demand-subpopulation-is-plausible",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND * 0.3, supply=SUPPLY, population=DEMAND),
        gives(lambda r: bool(np.isfinite(r.apl).all())),
    ),
    (
        "zoning-apl-per-100000",
        lambda: classify(APL10 * 100),
        warns("GP APL", "per 100 000"),
    ),
    (
        "zoning-apl-in-fte",
        lambda: classify(APL10 / 1000),
        warns("GP APL", "FTE"),
    ),
    ("zoning-apl-plausible", lambda: classify(APL10), gives(lambda z: len(z.communes) == 10)),
    (
        "times-in-seconds-is-implausible",
        lambda: TravelTimes.from_frame(od(60 * 5.0)),
        warns("seconds", warning=ImplausibleValueWarning),
    ),
    (
        "times-in-hours-is-implausible",
        lambda: TravelTimes.from_frame(od(0.05).assign(minutes=lambda f: f["minutes"] / 60)),
        warns("hours"),
    ),
    (
        "silence-one-call",
        silenced(lambda: band_weights(PERCENT_2023)),
        gives(lambda w: round(w.iloc[0], 6) == 112.0),
    ),
    (
        "silence-only-the-named-range",
        silenced(lambda: band_weights(PERCENT_2023), only=["age_weight"]),
        gives(lambda w: round(w.iloc[0], 6) == 112.0),
    ),
    (
        "silence-another-range-still-warns",
        silenced(lambda: aplcore.count_gp_activity(gps(activity=[5.0, 3.0, 4.0])), only="apl_gp"),
        warns("thousands"),
    ),
    (
        "silence-as-error",
        silenced(lambda: band_weights(PERCENT_2023), "error"),
        raises(InvalidValueError, "percentages", "implausible_values"),
    ),
    (
        "silence-time-units",
        silenced(lambda: TravelTimes.from_frame(od(60 * 5.0)), only=["neighbour_minutes"]),
        gives(lambda t: t.n_pairs == 16),
    ),
    (
        "silence-unknown-range",
        lambda: silenced(lambda: None, only=["activity"])(),
        raises(ParameterError, "'activity'", "gp_activity"),
    ),
    (
        "silence-unknown-action",
        lambda: silenced(lambda: None, "quiet")(),
        raises(ParameterError, "'quiet'"),
    ),
    # ------------------------------------------------------------ 2. locale formats
    (
        "activity-quoted-thousands-comma-alone",
        lambda: read_activity("a1.csv", gp_csv(["5,000", "3000", "4000"])),
        raises(InvalidValueError, "'activity'", "'5,000'", "5000", "line 2 of a1.csv"),
    ),
    (
        "activity-thousands-comma-with-decimal-points",
        lambda: read_activity("a2.csv", gp_csv(["5,000", "3000.5", "4000"])),
        equals([5000.0, 3000.5, 4000.0]),
    ),
    (
        "activity-decimal-comma-semicolon-file",
        lambda: read_activity("a3.csv", gp_csv(["4000,5", "3000,25", "5000"], sep=";")),
        equals([4000.5, 3000.25, 5000.0]),
    ),
    (
        "activity-decimal-comma-settles-5,000",
        lambda: read_activity("a4.csv", gp_csv(["5,000", "3000,25", "4000"], sep=";")),
        equals([5.0, 3000.25, 4000.0]),
    ),
    (
        "activity-thousands-space",
        lambda: read_activity("a5.csv", gp_csv(["4 000", "3 500", "5000"])),
        equals([4000.0, 3500.0, 5000.0]),
    ),
    (
        "activity-thousands-no-break-space",
        lambda: read_activity("a6.csv", gp_csv(["4\u00a0000", "3\u00a0500", "5000"])),
        equals([4000.0, 3500.0, 5000.0]),
    ),
    (
        "activity-thousands-narrow-no-break-space",
        lambda: read_activity("a7.csv", gp_csv(["4\u202f000,5", "3\u202f500", "5000"], sep=";")),
        equals([4000.5, 3500.0, 5000.0]),
    ),
    (
        "activity-thousands-dot-decimal-comma",
        lambda: read_activity("a8.csv", gp_csv(["4.000,5", "3.500", "5000"], sep=";")),
        equals([4000.5, 3500.0, 5000.0]),
    ),
    (
        "activity-thousands-comma-decimal-point",
        lambda: read_activity("a9.csv", gp_csv(["4,000.5", "3,500", "5000"])),
        equals([4000.5, 3500.0, 5000.0]),
    ),
    (
        "activity-mixed-decimal-separators",
        lambda: read_activity("a10.csv", gp_csv(["4000,5", "3000.25", "5000"], sep=";")),
        raises(InvalidValueError, "mixes decimal commas", "'4000,5'", "'3000.25'"),
    ),
    (
        "activity-unreadable-word",
        lambda: read_activity("a11.csv", gp_csv(["abc", "3000", "4000"])),
        raises(InvalidValueError, "'abc'", "unreadable", "line 2 of a11.csv", "'activity'"),
    ),
    (
        "activity-unreadable-na-is-not-missing",
        lambda: read_activity("a12.csv", gp_csv(["n/a", "3000", "4000"])),
        raises(InvalidValueError, "'n/a'", "unreadable", "not taken as missing"),
    ),
    (
        "activity-unreadable-dash",
        lambda: read_activity("a13.csv", gp_csv(["3000", "-", "4000"])),
        raises(InvalidValueError, "'-'", "line 3"),
    ),
    (
        "activity-unreadable-percent",
        lambda: read_activity("a14.csv", gp_csv(["3000", "4000", "12%"])),
        raises(InvalidValueError, "'12%'", "line 4"),
    ),
    (
        "activity-empty-cell-is-missing",
        lambda: read_activity("a15.csv", gp_csv(["3000", "", "4000"], quote=False)),
        raises(InvalidValueError, "missing values", "line 3"),
    ),
    (
        "activity-excel-sep-line",
        lambda: read_activity("a16.csv", "sep=;\n" + gp_csv(["4000", "3000", "5000"], sep=";")),
        equals([4000.0, 3000.0, 5000.0]),
    ),
    (
        "activity-excel-sep-line-comma",
        lambda: read_activity("a17.csv", "sep=,\n" + gp_csv(["4000", "3000", "5000"])),
        equals([4000.0, 3000.0, 5000.0]),
    ),
    (
        "activity-excel-sep-line-after-bom",
        lambda: read_activity(
            "a18.csv",
            codecs.BOM_UTF8 + ("sep=;\n" + gp_csv(["4000,5", "3000", "5000"], sep=";")).encode(),
        ),
        equals([4000.5, 3000.0, 5000.0]),
    ),
    (
        "activity-excel-sep-line-error-line-numbers",
        lambda: read_activity("a19.csv", "sep=;\n" + gp_csv(["4000", "abc", "5000"], sep=";")),
        raises(InvalidValueError, "'abc'", "line 4 of a19.csv"),
    ),
    (
        "territories-bom-hides-code-header",
        lambda: io.read_territories(file("t1.csv", territories_csv("utf-8", codecs.BOM_UTF8))),
        gives(lambda t: t.index.tolist() == ["01001", "01002"]),
    ),
    (
        "territories-windows-1252",
        lambda: io.read_territories(file("t2.csv", territories_csv("cp1252"))),
        gives(lambda t: t["territory"].tolist() == ["Orléans", "Œuvre – “x”"]),
    ),
    (
        "territories-windows-1252-after-a-utf8-bom",
        lambda: io.read_territories(file("t3.csv", territories_csv("cp1252", codecs.BOM_UTF8))),
        gives(lambda t: t["territory"].tolist() == ["Orléans", "Œuvre – “x”"]),
    ),
    (
        "territories-latin-1",
        lambda: io.read_territories(file("t4.csv", territories_csv("latin-1", names=("Léré",)))),
        gives(lambda t: t["territory"].tolist() == ["Léré"]),
    ),
    (
        "territories-frame-with-bom-column",
        lambda: io.read_territories(pd.DataFrame({"\ufeffcode": ["01001"], "territory": ["T1"]})),
        gives(lambda t: t.index.tolist() == ["01001"]),
    ),
    (
        "od-decimal-comma",
        lambda: od_minutes("o1.csv", od_csv(["12,5", "13,25"], sep=";")),
        equals([0.0, 12.5, 13.25, 0.0]),
    ),
    (
        "od-hh-mm-ss",
        lambda: od_minutes("o2.csv", od_csv(["00:12:30", "0:13:15"])),
        equals([0.0, 12.5, 13.25, 0.0]),
    ),
    (
        "od-hh-mm-ss-with-decimal-comma-file",
        lambda: od_minutes("o3.csv", od_csv(["00:12:30", "00:13:15"], sep=";")),
        equals([0.0, 12.5, 13.25, 0.0]),
    ),
    (
        "od-short-time-is-ambiguous",
        lambda: od_minutes("o4.csv", od_csv(["0:12", "0:13"])),
        raises(InvalidValueError, "'0:12'", "hours:minutes or minutes:seconds", "minutes"),
    ),
    (
        "od-thousands-comma-alone-is-ambiguous",
        lambda: od_minutes("o5.csv", od_csv(['"1,200"', '"1,300"']), units="seconds"),
        raises(InvalidValueError, "'1,200'", "thousands comma"),
    ),
    (
        "od-unreadable-minutes",
        lambda: od_minutes("o6.csv", od_csv(["ten", "12"])),
        raises(InvalidValueError, "'ten'", "minutes", "unreadable"),
    ),
    (
        "od-excel-sep-line",
        lambda: od_minutes("o7.csv", od_csv(["12,5", "13"], sep=";", header="sep=;\n")),
        equals([0.0, 12.5, 13.0, 0.0]),
    ),
    (
        "od-bom-before-origin",
        lambda: od_minutes("o8.csv", "\ufeff" + od_csv(["12.5", "13"])),
        equals([0.0, 12.5, 13.0, 0.0]),
    ),
    # ------------------------------------------------------------ 3. identity
    (
        "gp-id-trailing-space-is-one-gp",
        lambda: aplcore.count_gp_activity(two_sites("dr1", "dr1 ")),
        gives(lambda s: s.to_dict() == {"01001": 2000.0, "01002": 2000.0}),
    ),
    (
        "gp-id-leading-space-is-one-gp",
        lambda: aplcore.count_gp_activity(two_sites(" dr1", "dr1")),
        gives(lambda s: s.sum() == 4000.0),
    ),
    (
        "gp-id-no-break-space-is-one-gp",
        lambda: aplcore.count_gp_activity(two_sites("dr1\u00a0", "dr1")),
        gives(lambda s: s.sum() == 4000.0),
    ),
    (
        "gp-id-number-and-text-is-one-gp",
        lambda: aplcore.count_gp_activity(two_sites(1, "1")),
        gives(lambda s: s.sum() == 4000.0),
    ),
    (
        "gp-id-float-and-text-is-one-gp",
        lambda: aplcore.count_gp_activity(two_sites(1.0, "1")),
        gives(lambda s: s.sum() == 4000.0),
    ),
    (
        "gp-id-case-only-is-refused",
        lambda: aplcore.count_gp_activity(two_sites("DR1", "dr1")),
        raises(DuplicateError, "differ only by case", "'DR1'", "'dr1'"),
    ),
    (
        "gp-id-distinct-stay-two",
        lambda: aplcore.count_gp_activity(two_sites("dr1", "dr2")),
        gives(lambda s: s.to_dict() == {"01001": 3600.0, "01002": 3600.0}),
    ),
    (
        "gp-commune-with-spaces",
        lambda: aplcore.count_gp_activity(gps(commune=[" 01001", "01001 ", "01005"])),
        gives(lambda s: s.to_dict() == {"01001": 9000.0, "01005": 3600.0}),
    ),
    (
        "gp-column-name-with-space",
        lambda: aplcore.count_gp_activity(gps().rename(columns={"activity": "activity "})),
        gives(lambda s: s.to_dict() == {"01001": 9000.0, "01005": 3600.0}),
    ),
    (
        "gp-column-name-case",
        lambda: aplcore.count_gp_activity(gps().rename(columns={"activity": "Activity"})),
        raises(InputFormatError, "case-sensitive", "'Activity' for 'activity'"),
    ),
    (
        "read-practitioners-column-case",
        lambda: io.read_practitioners(
            file("p1.csv", gp_csv(["4000", "3000"]).replace("commune", "Commune"))
        ),
        raises(InputFormatError, "case-sensitive", "'Commune' for 'commune'"),
    ),
    (
        "demand-code-with-spaces",
        lambda: (
            aplcore.compute_apl(
                tt(),
                demand=pd.Series(DEMAND.to_numpy(), index=[f" {c} " for c in CODES]),
                supply=SUPPLY,
            ).apl
        ),
        gives(
            lambda apl: apl.round(12).equals(
                aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY).apl.round(12)
            )
        ),
    ),
    (
        "demand-code-twice-once-with-space",
        lambda: aplcore.compute_apl(
            tt(),
            demand=pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=[*CODES, "01001 "]),
            supply=SUPPLY,
        ),
        raises(DuplicateError, "01001"),
    ),
    ("codes-surrounding-spaces", lambda: list(normalise_codes([" 01001 "])), equals(["01001"])),
    (
        "od-codes-with-spaces",
        lambda: TravelTimes.from_frame(
            od().assign(
                origin=lambda f: f["origin"] + " ", destination=lambda f: " " + f["destination"]
            )
        ).codes.tolist(),
        equals(CODES),
    ),
    (
        "od-column-name-with-space",
        lambda: TravelTimes.from_frame(od().rename(columns={"minutes": " minutes"})).n_pairs,
        equals(16),
    ),
    (
        "od-column-name-case",
        lambda: TravelTimes.from_frame(od().rename(columns={"minutes": "Minutes"})),
        raises(InputFormatError, "case-sensitive", "'Minutes' for 'minutes'"),
    ),
    (
        "territories-code-with-spaces-in-file",
        lambda: io.read_territories(file("t5.csv", "code;territory\n 01001 ;T1\n")).index.tolist(),
        equals(["01001"]),
    ),
    # ------------------------------------------------------------ 4. travel-time coverage
    (
        "coverage-max-12-drees-20",
        lambda: aplcore.compute_apl(tt(max_minutes=12), demand=DEMAND, supply=SUPPLY),
        raises(MismatchError, "stop at 12 min", "up to 20 min", "max_minutes"),
    ),
    (
        "coverage-max-15-drees-20",
        lambda: aplcore.compute_apl(tt(max_minutes=15), demand=DEMAND, supply=SUPPLY),
        raises(MismatchError, "between 15 and 20 min", "--max-minutes 20"),
    ),
    (
        "coverage-max-20-drees-20",
        lambda: aplcore.compute_apl(tt(max_minutes=20), demand=DEMAND, supply=SUPPLY),
        gives(lambda r: bool(np.isfinite(r.apl).all())),
    ),
    (
        "coverage-no-bound",
        lambda: aplcore.compute_apl(tt(), demand=DEMAND, supply=SUPPLY),
        gives(lambda r: len(r.apl) == 4),
    ),
    (
        "coverage-linear-30-beyond-25",
        lambda: aplcore.compute_apl(
            tt(max_minutes=25), demand=DEMAND, supply=SUPPLY, decay=aplcore.linear_decay(30)
        ),
        raises(MismatchError, "up to 30 min"),
    ),
    (
        "coverage-prepare",
        lambda: aplcore.prepare(tt(max_minutes=12)),
        raises(MismatchError, "stop at 12 min"),
    ),
    (
        "coverage-other-method",
        lambda: aplcore.compute_apl(
            tt(max_minutes=12), demand=DEMAND, supply=SUPPLY, method="2sfca"
        ),
        raises(MismatchError, "stop at 12 min"),
    ),
    (
        "coverage-survives-save-and-load",
        lambda: aplcore.compute_apl(
            aplcore.load_travel_times(
                aplcore.save_travel_times(tt(max_minutes=12), FOLDER / "tt12.parquet")
            ),
            demand=DEMAND,
            supply=SUPPLY,
        ),
        raises(MismatchError, "stop at 12 min"),
    ),
    (
        "coverage-survives-npz",
        lambda: (
            aplcore.load_travel_times(
                aplcore.save_travel_times(tt(max_minutes=12), FOLDER / "tt12.npz")
            ).max_minutes
        ),
        equals(12.0),
    ),
    (
        "coverage-table-default-bound",
        lambda: aplcore.compute_apl(
            aplcore.travel_times_from_table(file("o9.csv", od().to_csv(index=False))),
            demand=DEMAND,
            supply=SUPPLY,
            decay="drees_specialists",
        ),
        raises(MismatchError, "stop at 30 min", "up to 45 min"),
    ),
    (
        "one-way-upper-triangle",
        lambda: TravelTimes.from_frame(one_way(TEN, keep=lambda i, j: i < j)),
        raises(InputFormatError, "one direction only", "symmetrise='min'"),
    ),
    (
        "one-way-lower-triangle",
        lambda: TravelTimes.from_frame(one_way(TEN, keep=lambda i, j: i > j)),
        raises(InputFormatError, "one direction only"),
    ),
    (
        "one-way-from-a-file",
        lambda: aplcore.travel_times_from_table(
            file("o10.csv", one_way(TEN, keep=lambda i, j: i < j).to_csv(index=False))
        ),
        raises(InputFormatError, "one direction only", "45 pairs"),
    ),
    (
        "one-way-symmetrised",
        lambda: (
            aplcore.travel_times_from_table(
                file("o11.csv", one_way(TEN, keep=lambda i, j: i < j).to_csv(index=False)),
                symmetrise="min",
            ).n_pairs
        ),
        equals(100),
    ),
    (
        "one-way-but-one-reverse-is-asymmetric-access",
        lambda: (
            TravelTimes.from_frame(
                one_way(TEN, keep=lambda i, j: i < j or (i, j) == (1, 0))
            ).n_pairs
        ),
        equals(56),
    ),
    (
        "one-way-to-practice-communes-only",
        lambda: (
            TravelTimes.from_frame(
                one_way(TEN, keep=lambda i, j: j < 2 or (i < 2 and j < 2))
            ).n_pairs
        ),
        equals(28),
    ),
    # ------------------------------------------------------------ 5. decays
    (
        "step-weights-increasing",
        lambda: aplcore.step_decay([10, 15, 20], [1 / 3, 2 / 3, 1]),
        raises(ParameterError, "must not increase", "reverse order"),
    ),
    (
        "step-weights-rise-in-the-middle",
        lambda: aplcore.step_decay([10, 15, 20], [1, 0.3, 0.6]),
        raises(ParameterError, "0.6 after 0.3", "ending at 20 min"),
    ),
    (
        "step-weight-above-one",
        lambda: aplcore.step_decay([10, 15, 20], [1.5, 0.6, 0.1]),
        raises(ParameterError, "[0, 1]"),
    ),
    (
        "step-weights-in-percent",
        lambda: aplcore.step_decay([10, 15, 20], [100, 67, 33]),
        raises(ParameterError, "percentages"),
    ),
    (
        "step-rise-allowed-when-said",
        lambda: aplcore.step_decay([10, 15, 30], [1.0, 0.0, 0.5], allow_rising=True).steps,
        equals(((10.0, 15.0, 30.0), (1.0, 0.0, 0.5))),
    ),
    (
        "decay-direct-unsorted-edges",
        lambda: aplcore.Decay("step", (20, 10, 15, 1, 0.6, 0.3)),
        raises(ParameterError, "strictly increasing", "[20.0, 10.0, 15.0]"),
    ),
    (
        "decay-direct-odd-count",
        lambda: aplcore.Decay("step", (10, 15, 20, 1, 0.5)),
        raises(ParameterError, "odd count"),
    ),
    (
        "decay-direct-negative-weight",
        lambda: aplcore.Decay("step", (10, 20, 1, -0.5)),
        raises(ParameterError, "non-negative"),
    ),
    (
        "decay-direct-negative-edge",
        lambda: aplcore.Decay("step", (-10, 20, 1, 0.5)),
        raises(ParameterError, "positive"),
    ),
    (
        "decay-direct-increasing-weights",
        lambda: aplcore.Decay("step", (10, 20, 0.5, 1.0)),
        raises(ParameterError, "must not increase"),
    ),
    (
        "decay-direct-linear-negative-cutoff",
        lambda: aplcore.Decay("linear", (-30,)),
        raises(ParameterError, "cutoff", "-30"),
    ),
    (
        "decay-direct-exponential-one-parameter",
        lambda: aplcore.Decay("exponential", (30,)),
        raises(ParameterError, "2 parameters", "cutoff, beta"),
    ),
    (
        "decay-direct-exponential-zero-beta",
        lambda: aplcore.Decay("exponential", (30, 0)),
        raises(ParameterError, "beta"),
    ),
    (
        "decay-direct-gaussian-negative-sigma",
        lambda: aplcore.Decay("gaussian", (30, -5)),
        raises(ParameterError, "sigma"),
    ),
    (
        "decay-direct-power-zero-t0",
        lambda: aplcore.Decay("power", (30, 1.5, 0)),
        raises(ParameterError, "t0"),
    ),
    (
        "decay-direct-text-parameters",
        lambda: aplcore.Decay("linear", ("thirty",)),
        raises(ParameterError, "numbers"),
    ),
    (
        "decay-replace-validates",
        lambda: dataclasses.replace(aplcore.get_decay("drees_gp"), params=(10, 15, 20, 1, 2, 3)),
        raises(ParameterError, "[0, 1]"),
    ),
    (
        "decay-text-step-counts",
        lambda: decay_from_text("step:10,15:1,0.5,0.2"),
        raises(ParameterError, "2 edges but 3 weights"),
    ),
    (
        "decay-text-missing-cutoff",
        lambda: decay_from_text("exponential:0.1"),
        raises(ParameterError, "CUTOFF missing"),
    ),
    (
        "decay-text-beta-not-a-number",
        lambda: decay_from_text("exponential:x,30"),
        raises(ParameterError, "BETA is 'x'"),
    ),
    (
        "decay-text-empty-weight",
        lambda: decay_from_text("step:10,20:1,"),
        raises(ParameterError, "WEIGHT 2 is empty"),
    ),
    (
        "decay-text-power-too-many",
        lambda: decay_from_text("power:1,30,1,5"),
        raises(ParameterError, "at most 3"),
    ),
    (
        "decay-text-gaussian-infinite",
        lambda: decay_from_text("gaussian:inf,30"),
        raises(ParameterError, "SIGMA", "not a finite number"),
    ),
    (
        "decay-text-step-increasing",
        lambda: decay_from_text("step:10,15,20:0.33,0.67,1"),
        raises(ParameterError, "must not increase"),
    ),
    (
        "decay-text-linear-negative",
        lambda: decay_from_text("linear:-3"),
        raises(ParameterError, "cutoff"),
    ),
    # ------------------------------------------------------------ 6. cap units
    (
        "caps-share-beside-inhabitants",
        lambda: caps({"ZIP": 0.3, "ZAC": 2000}),
        raises(ParameterError, "mixed", "'ZIP': 'share'", "'ZAC': 'inhabitants'"),
    ),
    (
        "caps-declared-per-cap",
        lambda: (
            caps({"ZIP": 0.3, "ZAC": 2000}, cap_unit={"ZIP": "share", "ZAC": "inhabitants"})
            .loc["24", ["ZIP", "ZAC"]]
            .tolist()
        ),
        equals([3000.0, 2000.0]),
    ),
    (
        "caps-declared-unit-missing",
        lambda: caps({"ZIP": 0.3, "ZAC": 2000}, cap_unit={"ZIP": "share"}),
        raises(ParameterError, "none for 'ZAC'"),
    ),
    (
        "caps-declared-unknown-unit",
        lambda: caps({"ZIP": 0.3}, cap_unit={"ZIP": "percent"}),
        raises(ParameterError, "'percent'"),
    ),
    (
        "caps-margin-in-inhabitants-beside-shares",
        lambda: caps({"ZIP": 0.7, "ZAC": 0.2}, cap_unit="share", margin=2346),
        raises(ParameterError, "margin 2346", "share", "'margin': 'inhabitants'"),
    ),
    (
        "caps-margin-declared-inhabitants",
        lambda: caps(
            {"ZIP": 0.7, "ZAC": 0.2},
            cap_unit={"ZIP": "share", "ZAC": "share", "margin": "inhabitants"},
            margin=2346,
        ).loc["24", "margin"],
        equals(2346.0),
    ),
    (
        "caps-margin-share-in-inhabitants",
        lambda: caps({"ZIP": 7000, "ZAC": 2000}, margin=0.01),
        raises(ParameterError, "less than one inhabitant"),
    ),
    (
        "caps-units-kept",
        lambda: caps(
            {"ZIP": 0.3, "ZAC": 2000}, cap_unit={"ZIP": "share", "ZAC": "inhabitants"}
        ).attrs["units"],
        equals({"ZIP": "share", "ZAC": "inhabitants"}),
    ),
    (
        "caps-report-shows-units",
        lambda: classify(
            APL10, caps={"ZIP": 0.3, "ZAC": 2000}, cap_unit={"ZIP": "share", "ZAC": "inhabitants"}
        ).format_report(),
        gives(lambda text: "caps ZIP/ZAC/HZ (given as share/inhabitants/-)" in text),
    ),
    (
        "caps-all-shares-read-as-inhabitants",
        lambda: caps({"ZIP": 0.7, "ZAC": 0.2}),
        raises(ParameterError, "look like shares", "cap_unit='share'"),
    ),
    (
        "caps-zoning-share-beside-inhabitants",
        lambda: classify(APL10, caps={"ZIP": 0.3, "ZAC": 2000}),
        raises(ParameterError, "mixed"),
    ),
    # ------------------------------------------------------------ 7. scenario specs
    (
        "spec-add-practitioners-negative",
        lambda: load_spec(scenario('add_practitioners = { "45006" = -3 }')),
        raises(ParameterError, "spec.toml", "add_practitioners '45006'", "-3", "retire_age"),
    ),
    (
        "spec-add-practitioners-zero",
        lambda: load_spec(scenario('add_practitioners = { "45006" = 0 }')),
        raises(ParameterError, "from 1 to 10000"),
    ),
    (
        "spec-add-practitioners-fraction",
        lambda: load_spec(scenario('add_practitioners = { "45006" = 1.5 }')),
        raises(ParameterError, "whole number", "1.5"),
    ),
    (
        "spec-add-practitioners-bad-code",
        lambda: load_spec(scenario('add_practitioners = { "4506" = 2 }')),
        raises(ParameterError, "5 characters", "'4506'"),
    ),
    (
        "spec-add-supply-huge",
        lambda: load_spec(scenario('add_supply = { "45006" = 5e9 }')),
        raises(ParameterError, "consultations per year"),
    ),
    (
        "spec-scale-activity-percent",
        lambda: load_spec(scenario("scale_activity = 95")),
        raises(ParameterError, "scale_activity", "0.95"),
    ),
    (
        "spec-scale-supply-negative",
        lambda: load_spec(scenario("scale_supply = -1.0")),
        raises(ParameterError, "scale_supply", "-1.0"),
    ),
    (
        "spec-retire-age-typo",
        lambda: load_spec(scenario("retire_age = 670")),
        raises(ParameterError, "retire_age", "years"),
    ),
    (
        "spec-years-negative",
        lambda: load_spec(scenario("retire_age = 67\nyears = -5")),
        raises(ParameterError, "years", "-5"),
    ),
    (
        "spec-project-population-bad-band",
        lambda: load_spec(scenario('project_population = { "80-85" = 1.2 }')),
        raises(ParameterError, "age bands", "'80-85'"),
    ),
    (
        "spec-project-population-percent",
        lambda: load_spec(scenario('project_population = { "80-84" = 120 }')),
        raises(ParameterError, "factor per age band"),
    ),
    (
        "spec-scenario-thresholds-decreasing",
        lambda: load_spec(scenario("thresholds = [3.98, 2.71]")),
        raises(ParameterError, "increasing APL thresholds"),
    ),
    (
        "spec-activity-cv-percent",
        lambda: load_spec(mc("activity_cv = 10")),
        raises(ParameterError, "activity_cv", "percentages"),
    ),
    (
        "spec-new-installations-negative",
        lambda: load_spec(mc("new_installations = -2")),
        raises(ParameterError, "new_installations"),
    ),
    (
        "spec-draws-cannot-fit",
        lambda: load_spec(
            spec("[monte_carlo]\ndraws = 1_000_000_000_000\nseed = 1\nactivity_cv = 0.1")
        ),
        raises(ParameterError, "draws", "GiB", "Split it into", "one seed per run"),
    ),
    (
        "spec-intra-minutes-in-seconds",
        lambda: load_spec(
            spec('[[scenario]]\nname = "s"\nscale_supply = 1.1', baseline="intra_minutes = 300")
        ),
        raises(ParameterError, "intra_minutes", "minutes"),
    ),
    (
        "spec-block-size-huge",
        lambda: load_spec(
            spec('[[scenario]]\nname = "s"\nscale_supply = 1.1\n[run]\nblock_size = 100000')
        ),
        raises(ParameterError, "block_size"),
    ),
    (
        "spec-run-threshold-per-100000",
        lambda: load_spec(
            spec('[[scenario]]\nname = "s"\nscale_supply = 1.1\n[run]\nthreshold = 250')
        ),
        raises(ParameterError, "threshold", "APL"),
    ),
    (
        "spec-plausible-loads",
        lambda: len(
            load_spec(
                scenario('add_practitioners = { "45006" = 3 }\nscale_activity = 0.95')
            ).scenarios
        ),
        equals(1),
    ),
    (
        "run-size-in-memory",
        lambda: check_run_size(100_000, n_communes=35_000, in_memory=True, memory=16 * 2**30),
        raises(ParameterError, "output folder", "runs of at most"),
    ),
    (
        "run-size-streamed-fits",
        lambda: check_run_size(100_000, n_communes=35_000, memory=16 * 2**30).fits,
        equals(True),
    ),
]


def _words_in(message: str, words: tuple[str, ...]) -> None:
    for word in words:
        assert word in message, f"{word!r} not in the message: {message}"


@pytest.mark.parametrize(("run", "expect"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plausible_mistake(run: Callable[[], Any], expect: Raises | Warns | Gives) -> None:
    if isinstance(expect, Raises):
        with pytest.raises(expect.error) as info:
            run()
        assert isinstance(info.value, ValueError), "aplcore errors subclass ValueError"
        _words_in(str(info.value), expect.words)
        assert "\n" not in str(info.value).strip(), "messages are one line"
    elif isinstance(expect, Warns):
        with pytest.warns(expect.warning) as record:
            run()
        found = [w for w in record if issubclass(w.category, expect.warning)]
        _words_in(" ".join(str(w.message) for w in found), expect.words)
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = run()
        flagged = [str(w.message) for w in caught if issubclass(w.category, AplcoreWarning)]
        assert flagged == [], flagged
        assert expect.check(value), value


def test_the_catalogue_has_unique_names() -> None:
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


def test_time_units_warning_is_an_implausible_value() -> None:
    assert issubclass(aplcore.errors.TimeUnitsWarning, ImplausibleValueWarning)
    assert issubclass(ImplausibleValueWarning, AplcoreWarning)
    assert issubclass(AplcoreWarning, UserWarning)


def test_silencing_ends_with_the_block() -> None:
    with aplcore.implausible_values("ignore"):
        band_weights(PERCENT_2023)
    with pytest.warns(ImplausibleValueWarning):
        band_weights(PERCENT_2023)


def test_ranges_table_is_the_documented_one() -> None:
    """The table of ranges in the documentation is the one the code checks."""

    docs = Path(__file__).parents[2] / "docs" / "formats.md"
    assert ranges_table() in docs.read_text(encoding="utf-8")


def test_cli_matrix_bound_travels_to_compute(inputs, capsys) -> None:
    """``aplcore matrix --max-minutes 15`` then ``compute`` with the 20-minute decay: refused
    with the bound the saved matrix carries, and nothing written."""
    from bad_inputs.cli_cases import run_command

    matrix = inputs.folder / "od.parquet"
    built = run_command(
        ["matrix", "--communes", str(inputs["communes"]), "--out", str(matrix),
         "--max-minutes", "15"],
        capsys,
    )  # fmt: skip
    assert built.code == 0, built.err
    argv = [
        "compute", "--times", str(matrix), "--population", str(inputs["population"]),
        "--practitioners", str(inputs["practitioners"]), "--out", str(inputs.out / "apl.csv"),
    ]  # fmt: skip
    outcome = run_command(argv, capsys)
    assert outcome.code != 0
    assert "Traceback" not in outcome.err
    assert "stop at 15 min" in outcome.err, outcome.err
    assert "up to 20 min" in outcome.err, outcome.err
    assert not (inputs.out / "apl.csv").exists()
    widened = run_command([*argv[:-2], "--out", str(inputs.out / "apl.csv"), "--decay",
                           "step:5,10,15:1,0.67,0.33"], capsys)  # fmt: skip
    assert widened.code == 0, widened.err


def test_truncation_accepted_on_purpose() -> None:
    """A caller that means to cut the decay says so; the bound is kept in the metadata."""
    cut = tt(max_minutes=12).accept_truncation()
    assert cut.max_minutes == 12.0
    result = aplcore.compute_apl(cut, demand=DEMAND, supply=SUPPLY)
    assert np.isfinite(result.apl).all()


def test_cli_implausible_activity_warns_without_python_advice(inputs, capsys) -> None:
    """A command-line user is warned of the unit mistake, not told a Python fix."""
    from bad_inputs.cli_cases import gp_frame, run_command

    inputs.write_frame("practitioners", gp_frame().assign(activity=[5.0, 3.0, 4.0, 7.0, 1.0]))
    argv = [
        "compute", "--times", str(inputs["times"]), "--population", str(inputs["population"]),
        "--practitioners", str(inputs["practitioners"]), "--out", str(inputs.out / "apl.csv"),
    ]  # fmt: skip
    outcome = run_command(argv, capsys)
    assert "thousands of consultations" in outcome.err, outcome.err
    assert "implausible_values" not in outcome.err


def test_cli_one_way_table_names_the_command_line_fix(inputs, capsys) -> None:
    from bad_inputs.cli_cases import CODES, run_command

    codes = [*CODES, "45010", "45011", "45013", "45014", "45015", "45016"]
    rows = [(a, b, 0.0 if a == b else 4.0 + abs(i - j)) for i, a in enumerate(codes)
            for j, b in enumerate(codes) if i <= j]  # fmt: skip
    inputs.write_frame("times", pd.DataFrame(rows, columns=["origin", "destination", "minutes"]))
    argv = [
        "compute", "--times", str(inputs["times"]), "--population", str(inputs["population"]),
        "--practitioners", str(inputs["practitioners"]), "--out", str(inputs.out / "apl.csv"),
    ]  # fmt: skip
    outcome = run_command(argv, capsys)
    assert outcome.code != 0
    assert "one direction only" in outcome.err, outcome.err
    assert "Add the reverse rows" in outcome.err
    assert "symmetrise=" not in outcome.err
