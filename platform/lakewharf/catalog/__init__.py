"""Reading the catalog: YAML files → checked data → the typed model (lakewharf.model)."""
