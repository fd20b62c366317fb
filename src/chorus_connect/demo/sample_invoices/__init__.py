"""The demo's sample invoices (JSON input format), one file each, read with ``importlib.resources``."""
