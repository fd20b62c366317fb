"""Handlers of the simulated Chorus Pro operations, one module per PISTE API family."""

from chorus_connect.simulator.operations import (  # noqa: F401  (importing registers the handlers)
    engagements,
    factures,
    factures_recipient,
    reports,
    soumettre,
    structures,
    transverses,
    travaux,
    utilisateurs,
)
