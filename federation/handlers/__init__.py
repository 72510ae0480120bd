"""Handlers of the activities beyond Create/Update/Delete, one module per family
(memberships, follows, likes…). Importing this package imports them all; each registers
itself with federation.activities.handles / editors_provider."""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_module.name}")
