"""Numba kernels of aplcore, installed as ``aplcore.kernels``.

Kernels take NumPy arrays and scalars only, in the canonical dtypes listed in
:mod:`aplcore.kernels._jit`; validation and conversion happen once in the public API.
"""
