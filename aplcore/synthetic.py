"""A reproducible **synthetic** table of general practitioners (GPs) built from real populations.

No table of GP activity by practice site is public in France, so the demo, the maps and the
benchmarks use this generator. Its output looks like the real thing in the aspects that matter to
APL (about as many GPs as in reality, concentrated in the larger communes, a realistic spread of
activity and ages) but **it is not real data**: identifiers start with ``SYN``, the table's
``attrs["synthetic"]`` is true and files written from it should say so in their names
(:data:`SYNTHETIC_FILE_NAME`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import bad_non_negative
from .codes import as_code_index
from .errors import InputFormatError, InvalidValueError, ParameterError, describe_values

__all__ = ["SYNTHETIC_FILE_NAME", "SyntheticGPParams", "synthetic_practitioners"]

#: Suggested file name of a synthetic practitioner table.
SYNTHETIC_FILE_NAME = "practitioners_synthetic.csv"


@dataclass(frozen=True)
class SyntheticGPParams:
    """Parameters of :func:`synthetic_practitioners` (defaults: orders of magnitude of France).

    Attributes
    ----------
    inhabitants_per_gp
        National density: the number of GPs is ``round(total population / inhabitants_per_gp)``
        (about 1 GP per 1 100 inhabitants in France).
    concentration
        GPs are placed in communes with probability proportional to ``population **
        concentration``; above 1 they concentrate in larger communes, so most small communes
        have none.
    median_activity
        Median yearly consultations and visits of a GP (about 4 500).
    activity_sigma
        Log-scale spread of activity (0.38 puts about a fifth of GPs above 6 000).
    low_activity_share
        Share of GPs with a marginal activity, drawn uniformly in [20, 250).
    age_mean, age_sd, age_min, age_max
        Ages: a normal distribution clipped to [age_min, age_max], rounded to whole years.
    centre_sante_share
        Share of GPs salaried in a centre de santé, among communes of at least
        ``centre_sante_min_population`` inhabitants.
    new_install_share_young, new_install_share_other
        Probability that a liberal GP under 40 (resp. 40 or older) is a new installation.
    multi_site_share
        Share of liberal GPs with a second practice site in another commune of the same
        département (when départements are known) holding between 10 % and 40 % of their activity.
    """

    inhabitants_per_gp: float = 1100.0
    concentration: float = 1.2
    median_activity: float = 4500.0
    activity_sigma: float = 0.38
    low_activity_share: float = 0.03
    age_mean: float = 50.0
    age_sd: float = 11.0
    age_min: int = 30
    age_max: int = 75
    centre_sante_share: float = 0.06
    centre_sante_min_population: float = 5000.0
    new_install_share_young: float = 0.08
    new_install_share_other: float = 0.01
    multi_site_share: float = 0.03

    def __post_init__(self) -> None:
        shares = {
            "low_activity_share": self.low_activity_share,
            "centre_sante_share": self.centre_sante_share,
            "new_install_share_young": self.new_install_share_young,
            "new_install_share_other": self.new_install_share_other,
            "multi_site_share": self.multi_site_share,
        }
        bad = {k: v for k, v in shares.items() if not 0.0 <= v <= 1.0}
        if bad:
            msg = f"shares must lie in [0, 1], found {bad}."
            raise ParameterError(msg)
        positive = {
            "inhabitants_per_gp": self.inhabitants_per_gp,
            "concentration": self.concentration,
            "median_activity": self.median_activity,
            "age_sd": self.age_sd,
        }
        bad = {k: v for k, v in positive.items() if not v > 0}
        if bad:
            msg = f"these parameters must be positive, found {bad}."
            raise ParameterError(msg)
        if not self.activity_sigma >= 0 or not 0 < self.age_min <= self.age_max:
            msg = (
                "expected activity_sigma >= 0 and 0 < age_min <= age_max, found "
                f"{self.activity_sigma}, {self.age_min}, {self.age_max}."
            )
            raise ParameterError(msg)


def synthetic_practitioners(
    communes: pd.DataFrame | pd.Series,
    *,
    seed: int = 0,
    params: SyntheticGPParams | None = None,
) -> pd.DataFrame:
    """Generate a synthetic GP table from real commune populations.

    The generator, step by step (all draws from ``numpy.random.default_rng(seed)``, communes
    taken in code order, so the output depends only on the populations, the seed and the
    parameters):

    1. ``n = round(total population / inhabitants_per_gp)`` GPs are placed in communes by a
       multinomial draw with weights ``population ** concentration``: large communes get GPs in
       proportion to (slightly more than) their size, most small communes get none.
    2. Each GP's yearly activity is log-normal around ``median_activity``; a share
       ``low_activity_share`` instead has a marginal activity in [20, 250). Rounded to whole
       consultations.
    3. Ages follow a clipped normal distribution (30 to 75 by default).
    4. In communes of at least 5 000 inhabitants, a share of GPs work in a centre de santé
       (``kind = "centre_sante"``); liberal GPs are new installations with a probability that is
       higher under 40.
    5. A share of liberal GPs get a second site in another commune that has GPs (of the same
       département when the ``departement`` column is given), taking 10-40 % of their activity.

    Parameters
    ----------
    communes
        Population by commune code: a Series, or a DataFrame with a ``population`` column (and
        optionally ``departement``), such as :func:`aplcore.datasets.load_communes`.
    seed
        Seed of the random generator.
    params
        Distribution parameters; defaults reproduce French orders of magnitude.

    Returns
    -------
    pandas.DataFrame
        Columns ``practitioner_id`` (``"SYN000001"`` …), ``commune``, ``activity``, ``age``,
        ``kind``, ``new_install``; one row per GP and site, sorted by commune then identifier.
        ``attrs["synthetic"]`` is true and ``attrs["source"]`` describes the generator.

    Raises
    ------
    InputFormatError
        No ``population`` column.
    InvalidValueError
        Missing, negative or non-finite populations, or a zero total.
    CommuneCodeError, DuplicateError
        Codes that are not unique 5-character strings.
    """
    p = params if params is not None else SyntheticGPParams()
    population, departement = _inputs(communes)
    order = np.argsort(population.index.to_numpy(dtype=str), kind="stable")
    population = population.iloc[order]
    departement = departement.iloc[order] if departement is not None else None
    codes = population.index.to_numpy(dtype=object)
    pop = population.to_numpy(dtype=float)
    rng = np.random.default_rng(seed)

    n = round(pop.sum() / p.inhabitants_per_gp)
    weights = pop**p.concentration
    counts = rng.multinomial(n, weights / weights.sum()) if n else np.zeros(len(pop), int)
    home = np.repeat(np.arange(len(pop)), counts)

    activity = np.round(p.median_activity * np.exp(p.activity_sigma * rng.standard_normal(n)))
    low = rng.random(n) < p.low_activity_share
    activity[low] = np.floor(rng.uniform(20.0, 250.0, size=int(low.sum())))
    age = np.clip(np.round(rng.normal(p.age_mean, p.age_sd, size=n)), p.age_min, p.age_max)
    big = pop[home] >= p.centre_sante_min_population
    centre = big & (rng.random(n) < p.centre_sante_share)
    new_share = np.where(age < 40, p.new_install_share_young, p.new_install_share_other)
    new_install = ~centre & (rng.random(n) < new_share)
    ids = np.array([f"SYN{i + 1:06d}" for i in range(n)], dtype=object)

    second = ~centre & (rng.random(n) < p.multi_site_share)
    second_site = _second_sites(rng, home[second], counts, departement)
    has_second = second_site >= 0
    movers = np.flatnonzero(second)[has_second]
    share = rng.uniform(0.1, 0.4, size=len(movers))
    moved = np.round(activity[movers] * share)
    activity[movers] -= moved

    frame = pd.DataFrame(
        {
            "practitioner_id": np.concatenate([ids, ids[movers]]),
            "commune": np.concatenate([codes[home], codes[second_site[has_second]]]),
            "activity": np.concatenate([activity, moved]),
            "age": np.concatenate([age, age[movers]]),
            "kind": np.where(np.concatenate([centre, centre[movers]]), "centre_sante", "liberal"),
            "new_install": np.concatenate([new_install, new_install[movers]]),
        }
    )
    frame["practitioner_id"] = frame["practitioner_id"].astype(object)
    frame["commune"] = frame["commune"].astype(object)
    frame["kind"] = frame["kind"].astype(object)
    frame = frame.sort_values(["commune", "practitioner_id"], kind="stable", ignore_index=True)
    frame.attrs["synthetic"] = True
    frame.attrs["source"] = (
        f"SYNTHETIC GP table from aplcore.synthetic.synthetic_practitioners(seed={seed}) "
        f"with {p}; not real data"
    )
    return frame


def _inputs(communes: pd.DataFrame | pd.Series) -> tuple[pd.Series, pd.Series | None]:
    departement = None
    if isinstance(communes, pd.DataFrame):
        if "population" not in communes.columns:
            msg = (
                "synthetic_practitioners needs a 'population' column (or a Series of population "
                f"by commune code); found columns {list(communes.columns)[:10]}."
            )
            raise InputFormatError(msg)
        population = communes["population"]
        if "departement" in communes.columns:
            departement = communes["departement"]
    else:
        population = communes
    index = as_code_index(population.index, what="commune codes of the population")
    values = pd.to_numeric(population, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = bad_non_negative(values)
    if bad.any():
        msg = (
            "populations must be known, finite and non-negative; found "
            f"{describe_values(index[bad].tolist())} without one. Drop them first (e.g. "
            "aplcore.datasets.load_communes(..., dropna=True))."
        )
        raise InvalidValueError(msg)
    if not values.sum() > 0:
        msg = "the total population is zero: there is nobody to give GPs to."
        raise InvalidValueError(msg)
    population = pd.Series(values, index=index)
    if departement is not None:
        departement = pd.Series(departement.to_numpy(dtype=object), index=index)
    return population, departement


def _second_sites(
    rng: np.random.Generator,
    homes: np.ndarray,
    counts: np.ndarray,
    departement: pd.Series | None,
) -> np.ndarray:
    """For each home commune position, another commune holding GPs (-1 when there is none)."""
    with_gp = np.flatnonzero(counts > 0)
    out = np.full(len(homes), -1, dtype=np.int64)
    if departement is None:
        groups = {None: with_gp}
        key_of = [None] * len(homes)
    else:
        dep = departement.to_numpy(dtype=object)
        groups = {}
        for pos in with_gp:
            groups.setdefault(dep[pos], []).append(pos)
        groups = {k: np.asarray(v) for k, v in groups.items()}
        key_of = dep[homes]
    for i, (home, key) in enumerate(zip(homes, key_of, strict=True)):
        candidates = groups.get(key, np.empty(0, dtype=np.int64))
        candidates = candidates[candidates != home]
        if len(candidates):
            weights = counts[candidates].astype(float)
            out[i] = rng.choice(candidates, p=weights / weights.sum())
    return out
