"""A faithful local Chorus Pro: PISTE OAuth2 and the Chorus Pro API, served over real HTTP.

with SimulatorServer(SimulatorConfig(frozen_clock=True)) as sim:
    sim.base_url, sim.token_url, sim.dataset, sim.admin.advance_clock(60)
"""

from chorus_connect.simulator.config import FaultConfig, SimulatorConfig
from chorus_connect.simulator.dataset import Dataset
from chorus_connect.simulator.server import AdminClient, SimulatorServer

__all__ = ["AdminClient", "Dataset", "FaultConfig", "SimulatorConfig", "SimulatorServer"]
