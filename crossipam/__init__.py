"""crossipam — typed Python SDK for cross-tenant IP address management on Azure."""

__version__ = "0.1.0"
