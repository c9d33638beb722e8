"""Demo data: a realistic store for staff, evaluators and benchmarks.

``seed_demo`` plans a store from a seed and writes it through the services
(or with COPY when it is large); ``flush_store`` wipes the store to start
over; ``invariant_violations`` checks the bookkeeping rules afterwards. The
``seed_demo`` management command is the way in.
"""

from .demo import DemoRefused, SeedResult, flush_store, seed_demo, store_has_data
from .invariants import invariant_violations
from .plan import Sizes

__all__ = [
    "DemoRefused",
    "SeedResult",
    "Sizes",
    "flush_store",
    "invariant_violations",
    "seed_demo",
    "store_has_data",
]
