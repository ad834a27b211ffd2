"""Size of a scenario run, estimated before anything is allocated.

A run holds, per scenario, its description (the changes, about 460 bytes per Monte Carlo draw
as measured with :mod:`tracemalloc`, rounded up to :data:`BYTES_PER_SCENARIO` with its row of
the scenario table) and the zone of each territory (one byte each); without an output folder
it also keeps the APL of every commune (8 bytes each). A run that cannot fit in the memory of
the machine is refused with the number of runs to split it into.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..errors import ParameterError

__all__ = ["BYTES_PER_SCENARIO", "RunSize", "check_run_size", "machine_memory"]

#: Memory of one scenario's description and table row (measured about 460 B, rounded up).
BYTES_PER_SCENARIO = 1024
#: Share of the machine's memory a run may plan to use.
MEMORY_SHARE = 0.5


def machine_memory() -> int:
    """Physical memory of the machine, in bytes (16 GiB when the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 16 * 2**30


@dataclass(frozen=True)
class RunSize:
    """Estimated memory of a run (bytes) and the most scenarios one run may hold."""

    n_scenarios: int
    bytes_needed: int
    bytes_per_scenario: int
    limit: int

    @property
    def fits(self) -> bool:
        """Whether the run fits in :data:`MEMORY_SHARE` of the machine's memory."""
        return self.bytes_needed <= self.limit

    @property
    def max_scenarios(self) -> int:
        """The most scenarios one run may hold."""
        return max(1, self.limit // self.bytes_per_scenario)


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_run_size(
    n_scenarios: int,
    *,
    n_communes: int = 0,
    n_territories: int = 0,
    in_memory: bool = False,
    where: str = "the run",
    memory: int | None = None,
) -> RunSize:
    """Refuse a run whose estimated memory exceeds half the machine's, saying how to split it.

    Parameters
    ----------
    n_scenarios
        Scenarios of the run.
    n_communes, n_territories
        Communes reported and territories zoned (0 when not known yet).
    in_memory
        The APL of every scenario is kept in memory (no output folder).
    where
        How to name the run (or the spec key) in the message.
    memory
        Memory of the machine in bytes (default: :func:`machine_memory`).

    Raises
    ------
    ParameterError
        The run cannot fit.
    """
    per = BYTES_PER_SCENARIO + n_territories + (8 * n_communes if in_memory else 0)
    limit = int(MEMORY_SHARE * (memory if memory is not None else machine_memory()))
    size = RunSize(int(n_scenarios), int(n_scenarios) * per, per, limit)
    if not size.fits:
        runs = math.ceil(size.n_scenarios / size.max_scenarios)
        stream = " (or write the APL to an output folder instead of memory)" if in_memory else ""
        msg = (
            f"{where}: {size.n_scenarios:,} scenarios need about {_gib(size.bytes_needed)} "
            f"({per:,} bytes each) and this machine has {_gib(limit / MEMORY_SHARE)}. Split it "
            f"into {runs:,} runs of at most {size.max_scenarios:,} scenarios (Monte Carlo "
            f"draws: one seed per run){stream}."
        )
        raise ParameterError(msg)
    return size
