"""``wharf cost``: what the platform the catalog describes would cost on Azure, month by month.

Reads down the floors: the catalog's volumes (``volume:`` on source entities, zone retention),
the generated artifacts (the Data Factory tree's activities and control items), the stack file
(SQL pool SKU, lake redundancy) and, after a local run, the measured Parquet bytes per row. Every
figure is a formula over those inputs and a dated price table (``cost/prices/<region>.yaml``);
docs/cost.md writes each formula out. No network call, ever.

- ``prices``     — the price table: shipped per region, or the user's own file;
- ``volumes``    — rows per load, rows held, bytes per row (estimated from types or measured);
- ``activity``   — the activity runs one pipeline run makes, walked from the generated JSON;
- ``usage``      — monthly quantities per service and catalog element;
- ``estimate``   — quantities × prices, every line with its formula and assumptions;
- ``projection`` — months 1…N, and the first month each service limit is reached.
"""
