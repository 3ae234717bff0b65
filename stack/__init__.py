"""stackctl's static assets, installed as the data package `stackctl._stack`.

Scripts, image recipes, API definitions and policies; no code. Read them through
`stackctl.assets`, never by path (pyproject.toml and setup.py map this folder).
"""
