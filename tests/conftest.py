"""Shared fixtures: the offline Azure fixtures come from crossipam's pytest plugin (entry point)."""

from __future__ import annotations
