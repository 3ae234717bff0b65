"""Wrappers for external tools other than Docker, one module each (go, debootstrap); nothing
outside `stackctl.runtime` and this package starts a subprocess."""
