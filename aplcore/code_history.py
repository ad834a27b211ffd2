"""Commune code history: the former home of :mod:`aplcore.codes.history`, kept for imports.

``aplcore.code_history`` is the very module :mod:`aplcore.codes.history` (one module object under
both names), so that code written for the old path, monkeypatching included, keeps working.
"""

from __future__ import annotations

import sys

from .codes import history

sys.modules[__name__] = history
