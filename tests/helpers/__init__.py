"""Shared builders for the tests: fleets on the simulator, stores, sites, TheRock reports."""
