"""The ``wharf`` command: one thin module per sub-command; rich lives only here."""
