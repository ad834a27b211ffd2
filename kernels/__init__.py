"""Numba kernels of aplcore, installed as ``aplcore.kernels``.

Kernels take NumPy arrays and scalars only, in the canonical dtypes listed in
:mod:`aplcore.kernels._jit`; validation and conversion happen once in the public API.
"""

from ..settings import configure_numba_cache as _configure_numba_cache

# Before any kernel module imports Numba: compiled kernels go to the per-user cache folder, never
# next to these sources (a leftover ``__pycache__`` in site-packages would shadow a later install).
_configure_numba_cache()
