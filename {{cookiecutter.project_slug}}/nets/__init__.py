"""Nets: one module per network family, and the factory that names them."""
