"""lakewharf: describe an Azure data platform once in YAML, then provision, generate and run it."""

__version__ = "0.1.0"
