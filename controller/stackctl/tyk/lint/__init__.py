"""`stackctl lint`: check users' Tyk configs against the tables."""
