"""Calibrate the crow-fly travel-time model on the Gironde Metric pairs and record its error.

Reads the 2 500 random Gironde point pairs of
``../shared/data/raw/drees_comparaison_distanciers_gironde/`` (Lambert-93 coordinates; Metric
off-peak minutes in column ``HC``, 9999 = not computed; OSRM minutes in the other file), joins
them on (X1, Y1, X2, Y2), fits ``t = a + b·d`` and ``t = a + b·d^c`` on the pairs at most
``FIT_MAX_KM`` apart, and writes the chosen parameters with the measured errors to
``aplcore/data/crow_fly_calibration.json``. Only these derived figures are committed, never the
pairs.

The non-linear form is kept only if it lowers the mean absolute error on pairs under 30 minutes by
at least ``MIN_GAIN_MIN`` minutes; otherwise the linear form is kept (fewer parameters).

Usage::

    python data/calibrate_crow_fly.py [--raw PATH_TO_shared/data/raw]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from aplcore.traveltimes.crowfly import CrowFlyModel, calibrate_crow_fly, crow_fly_errors
from aplcore.traveltimes.geometry import pair_distance_km

FOLDER = "drees_comparaison_distanciers_gironde"
METRIC_FILE = "couples_infra_couples_coordonnees_gironde_2_HC.csv"
OSRM_FILE = "résultat_couples_coordonnees_gironde_2_0.9.5.csv"
#: Pairs at most this far apart (straight line) are used for the fit: APL only uses times under
#: 20 minutes (30 for some professions), and selecting on distance does not bias the fit.
FIT_MAX_KM = 35.0
#: Minimum gain (minutes of mean absolute error under 30 min) to prefer the power form.
MIN_GAIN_MIN = 0.1
OUTPUT = Path(__file__).resolve().parents[1] / "aplcore" / "data" / "crow_fly_calibration.json"


def default_raw() -> Path:
    env = os.environ.get("APLCORE_SHARED_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared"
    return base / "data" / "raw"


def load_pairs(raw: Path) -> pd.DataFrame:
    """Metric and OSRM minutes per pair with the straight-line distance (km)."""
    folder = raw / FOLDER
    metric = pd.read_csv(folder / METRIC_FILE)
    osrm = pd.read_csv(folder / OSRM_FILE)
    keys = ["X1", "Y1", "X2", "Y2"]
    pairs = metric.merge(osrm[[*keys, "Dist_min", "Dist_km"]], on=keys, how="inner")
    pairs = pairs[pairs["HC"] < 9999].reset_index(drop=True)
    pairs["distance_km"] = pair_distance_km(
        pairs["X1"], pairs["Y1"], pairs["X2"], pairs["Y2"], crs="EPSG:2154"
    )
    return pairs


def rounded(report: dict) -> dict:
    return {
        k: (rounded(v) if isinstance(v, dict) else round(v, 4) if isinstance(v, float) else v)
        for k, v in report.items()
    }


def calibrate(raw: Path) -> dict:
    pairs = load_pairs(raw)
    d = pairs["distance_km"].to_numpy()
    metric = pairs["HC"].to_numpy(dtype=float)
    osrm = pairs["Dist_min"].to_numpy(dtype=float)
    linear = calibrate_crow_fly(d, metric, form="linear", max_distance_km=FIT_MAX_KM)
    power = calibrate_crow_fly(d, metric, form="power", max_distance_km=FIT_MAX_KM)
    err_linear = crow_fly_errors(linear, d, metric)
    err_power = crow_fly_errors(power, d, metric)
    gain = err_linear["under_30"]["mean_abs_error"] - err_power["under_30"]["mean_abs_error"]
    chosen, form = (power, "power") if gain >= MIN_GAIN_MIN else (linear, "linear")
    chosen = CrowFlyModel(
        intercept=round(chosen.intercept, 4),
        slope=round(chosen.slope, 4),
        exponent=round(chosen.exponent, 4),
    )
    # OSRM measured the same way, for comparison (OSRM minutes as the "model").
    osrm_err = {}
    for name, keep in (("all", metric >= 0), ("under_30", metric < 30)):
        e = osrm[keep] - metric[keep]
        osrm_err[name] = {
            "n_pairs": int(keep.sum()),
            "mean_abs_error": float(np.mean(np.abs(e))),
            "median_abs_error": float(np.median(np.abs(e))),
            "bias": float(np.mean(e)),
        }
    return rounded(
        {
            "description": (
                "Crow-fly model t = intercept + slope * d^exponent (minutes, d = straight-line km) "
                "fitted by least squares to INSEE Metric off-peak car times (column HC) of random "
                "point pairs in Gironde; errors are model minus Metric. Band changes use the DREES "
                "GP bands 1 / 2/3 / 1/3 / 0 with left-closed edges at 10, 15, 20 minutes, among "
                "pairs whose Metric time is under 20 minutes. Few pairs are short: see n_pairs."
            ),
            "data": (
                "drees_comparaison_distanciers_gironde (phileas-condemine/comparaison_distanciers, "
                "commit 762606702804c1246b91abcb2e89b833dbb48d9e): pairs joined on X1,Y1,X2,Y2, "
                "HC < 9999"
            ),
            "n_pairs": len(pairs),
            "fit_max_km": FIT_MAX_KM,
            "n_pairs_fitted": int((d <= FIT_MAX_KM).sum()),
            "form": form,
            "model": chosen.to_dict(),
            "errors": crow_fly_errors(chosen, d, metric),
            "alternatives": {
                "linear": {"model": linear.to_dict(), "errors": err_linear},
                "power": {"model": power.to_dict(), "errors": err_power},
            },
            "osrm_vs_metric": osrm_err,
        }
    )


def write_json(report: dict, output: Path) -> None:
    """Write the figures whole and atomically (a temporary file, then a rename)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=default_raw(), help="shared/data/raw folder")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not (args.raw / FOLDER).is_dir():
        print(f"not found: {args.raw / FOLDER}", file=sys.stderr)
        return 1
    report = calibrate(args.raw)
    write_json(report, args.output)
    print(json.dumps({k: report[k] for k in ("form", "model", "errors")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
