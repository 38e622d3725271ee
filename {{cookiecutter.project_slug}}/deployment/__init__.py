"""Deployment: what a run is (its record), how its parts are built, where it is placed, how it is saved."""
