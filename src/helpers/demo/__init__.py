"""Demo data and simulators: never imported by the product path (steps, ingest, report).

``helpers.demo.generator`` writes the two demo clients with planted truth
(docs/demo-data.md); ``helpers.demo.ratings`` holds the one expected-rating formula
the generator and the simulators share.
"""

from helpers.demo.generator import (
    BAD_ROWS,
    DEFAULT_EVENTS,
    DEFAULT_SEED,
    DEMO_CLIENTS,
    GROUND_TRUTH,
    SPECS,
    client_config,
    client_yaml,
    ground_truth,
    removal_effects,
    write_client,
    write_demo,
)
from helpers.demo.ratings import expected_rating

__all__ = ["BAD_ROWS", "DEFAULT_EVENTS", "DEFAULT_SEED", "DEMO_CLIENTS", "GROUND_TRUTH", "SPECS", "client_config",
           "client_yaml", "expected_rating", "ground_truth", "removal_effects", "write_client", "write_demo"]
