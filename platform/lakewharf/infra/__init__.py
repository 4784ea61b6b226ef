"""The Pulumi program's building blocks: one ``pulumi.ComponentResource`` per area of the platform.

Only this package and ``wharf plan`` import pulumi. Read top-down:

- ``settings``, ``stack_file`` — stack config (``lakewharf:*`` in ``Pulumi.<stack>.yaml``), checked up
  front against ``stack.schema.json`` with located errors, unsafe values refused;
- ``names``     — Cloud Adoption Framework names, deterministic per prefix/environment/location;
- ``roles``     — the one table of built-in Azure role definition GUIDs lakewharf assigns;
- ``access``    — who gets which role where, derived from the catalog (pure Python);
- (the reviewed ``build/adf`` files are read by ``lakewharf.artifacts.adf_tree``, the same reader
  the local runner uses);
- ``network`` — the VNet, private endpoints and private DNS zones every component uses;
- ``lake``, ``security``, ``monitoring``, ``warehouse``, ``factory`` (+ ``factory_network``), ``ml`` — the components;
- ``policy/`` — the security baseline as rules, run by ``wharf plan`` and served as a Pulumi policy pack;
- ``program``   — wires them together (``infra/__main__.py`` calls ``program.main``);
- ``mocks``     — the offline harness shared by ``wharf plan`` and ``tests/infra``.
"""
