"""Package discovery pyproject.toml cannot express: stackctl's code from controller/ and
the repository's stack/ as the data package `stackctl._stack` (mapped in pyproject.toml)."""

from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages("controller", include=["stackctl", "stackctl.*"]),
                "stackctl._stack"])
