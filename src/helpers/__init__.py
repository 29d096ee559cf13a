"""Customer touchpoint analysis kit.

Modules: periods, config, schema, data (the read layer), kpis, demo (demo data, never imported by the product path),
ingest, identify, stats, analyse, prioritise, evaluate, report, display.
"""

__version__ = "0.1.0"
