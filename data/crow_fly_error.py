"""Measure the crow-fly model's error on both real road-time sources, and check alternatives.

Sources (read from ``../shared/data/raw``, never copied):

* Gironde: the 2 429 random point pairs timed by Metric (INSEE distancier behind the published
  APL, off-peak), as in ``data/calibrate_crow_fly.py``;
* Isère: OSRM car times between the town-hall (chef-lieu) points of the 512 communes
  (``osrm_isere_2021/TimeDistCarIsere.csv``, a wide matrix in seconds, read with
  ``travel_times_from_table(layout="wide")``; points from ``isere.geojson``): every ordered pair
  of distinct communes.

For each source: mean absolute error, median absolute error and bias (model minus reference,
minutes) of the default model, and the share of pairs whose DREES band (1, 2/3, 1/3, 0 at 10, 15,
20 minutes) changes, among pairs under 20 minutes and among pairs under 30 minutes (reference
time). Then the alternatives, each fitted on one area (pairs at most ``FIT_MAX_KM`` apart, the
rule of the default calibration) and checked on the other, in both directions: a model is
adopted only if it beats the default on the area it was not fitted on. The derived figures go
to ``aplcore/data/crow_fly_error.json``; ``tests/test_crow_fly_error.py`` recomputes them.

Usage::

    python data/crow_fly_error.py [--raw PATH_TO_shared/data/raw]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate_crow_fly import FIT_MAX_KM, default_raw, load_pairs, rounded, write_json

from aplcore.traveltimes.crowfly import (
    CrowFlyModel,
    calibrate_crow_fly,
    crow_fly_errors,
)
from aplcore.traveltimes.geometry import pair_distance_km
from aplcore.traveltimes.table import travel_times_from_table

ISERE = "osrm_isere_2021"
OUTPUT = Path(__file__).resolve().parents[1] / "aplcore" / "data" / "crow_fly_error.json"
FORMS = ("linear", "power")


def gironde_pairs(raw: Path) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line km and Metric off-peak minutes of the Gironde pairs."""
    pairs = load_pairs(raw)
    return pairs["distance_km"].to_numpy(), pairs["HC"].to_numpy(dtype=float)


def isere_pairs(raw: Path) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line km and OSRM minutes of every ordered pair of distinct Isère communes."""
    folder = raw / ISERE
    tt = travel_times_from_table(
        folder / "TimeDistCarIsere.csv", layout="wide", units="seconds", max_minutes=None
    )
    frame = tt.to_frame()
    frame = frame[frame["origin"] != frame["destination"]]
    features = json.loads((folder / "isere.geojson").read_text("utf-8"))["features"]
    points = pd.DataFrame([f["properties"] for f in features]).set_index("id")[["lon", "lat"]]
    a = points.loc[frame["origin"].to_numpy()]
    b = points.loc[frame["destination"].to_numpy()]
    km = pair_distance_km(a["lon"], a["lat"], b["lon"], b["lat"], crs="EPSG:4326")
    return km, frame["minutes"].to_numpy(dtype=float)


def summary(model: CrowFlyModel, km: np.ndarray, minutes: np.ndarray) -> dict:
    errors = crow_fly_errors(model, km, minutes)
    out = {}
    for name in ("under_20", "under_30"):
        e = errors[name]
        out[name] = {
            "n_pairs": e["n_pairs"],
            "mean_abs_error": e["mean_abs_error"],
            "median_abs_error": e["median_abs_error"],
            "bias": e["bias"],
            "band_change_share": e["band_change_share_of_subset"],
        }
    return out


def measure(raw: Path) -> dict:
    areas = {"gironde_metric": gironde_pairs(raw), "isere_osrm": isere_pairs(raw)}
    default = CrowFlyModel()
    sources = {name: summary(default, *pairs) for name, pairs in areas.items()}
    checks = []
    better = []
    for fitted_on, checked_on in (
        ("gironde_metric", "isere_osrm"),
        ("isere_osrm", "gironde_metric"),
    ):
        for form in FORMS:
            model = calibrate_crow_fly(*areas[fitted_on], form=form, max_distance_km=FIT_MAX_KM)
            check = {
                "form": form,
                "fitted_on": fitted_on,
                "checked_on": checked_on,
                "model": model.to_dict(),
                "on_fit_area": summary(model, *areas[fitted_on]),
                "on_other_area": summary(model, *areas[checked_on]),
            }
            checks.append(rounded(check))
            default_there = sources[checked_on]["under_20"]["band_change_share"]
            if check["on_other_area"]["under_20"]["band_change_share"] < default_there:
                better.append(f"{form} fitted on {fitted_on}")
    return rounded(
        {
            "description": (
                "Error of the default crow-fly model (model minus reference, minutes) on two real "
                "road-time sources; band_change_share: share of the pairs of the subset (reference "
                "time under 20, or under 30 minutes) whose DREES band (1, 2/3, 1/3, 0 at 10, 15, "
                "20 minutes, left-closed) differs under the model. cross_checks: straight-line "
                "models fitted on one area (pairs at most fit_max_km apart) and checked on the "
                "other."
            ),
            "data": {
                "gironde_metric": (
                    "drees_comparaison_distanciers_gironde: 2 429 random point pairs, INSEE "
                    "Metric off-peak minutes (HC < 9999)"
                ),
                "isere_osrm": (
                    "osrm_isere_2021 (neocarto/rspatial, OSRM car profile, July 2021): every "
                    "ordered pair of distinct communes among 512, between town-hall points"
                ),
            },
            "default_model": default.to_dict(),
            "sources": sources,
            "fit_max_km": FIT_MAX_KM,
            "cross_checks": checks,
            "better_elsewhere": better,
            "chosen": "default" if not better else better[0],
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=default_raw(), help="shared/data/raw folder")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not (args.raw / ISERE).is_dir():
        print(f"not found: {args.raw / ISERE}", file=sys.stderr)
        return 1
    report = measure(args.raw)
    write_json(report, args.output)
    print(json.dumps({k: report[k] for k in ("sources", "better_elsewhere")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
