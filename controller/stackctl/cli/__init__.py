"""The command-line interface (typer + rich). `main.run` is the console script."""
