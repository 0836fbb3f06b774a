"""shopdesk: a case desk for the abnormal and urgent orders of small online shops."""

__version__ = "0.1.0"
