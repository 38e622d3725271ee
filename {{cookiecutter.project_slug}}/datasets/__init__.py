"""Datasets: one module per dataset, and the factory that names them."""
