"""chorus-connect: an open-source connector to Chorus Pro, with a faithful local simulator."""

__version__ = "0.1.0"
