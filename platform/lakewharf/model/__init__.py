"""The typed catalog: immutable objects with every cross-reference resolved.

Generators, the infra program and the local runner read only this model, never YAML.
"""
