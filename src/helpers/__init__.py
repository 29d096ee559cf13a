"""Customer touchpoint analysis kit.

Modules: periods, config, schema, data (Ibis engines), synth (demo data),
ingest, identify, stats, analyse, prioritise, evaluate, report, display.
"""

__version__ = "0.1.0"
