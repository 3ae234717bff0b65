"""The exception hierarchy; the CLI prints each as one line and exits non-zero:
`ConfigError` (bad input, exit 2; `BadFileError`: a malformed file), `ToolError` (an
external tool failed; keeps its command and output), `StepError` (a pipeline step failed)."""

from __future__ import annotations

from collections.abc import Sequence


class StackctlError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    exit_code = 1


class ConfigError(StackctlError):
    """Invalid input: names the setting and the fix. Exit code 2."""

    exit_code = 2

    def __init__(self, setting: str, problem: str, fix: str = "") -> None:
        self.setting = setting
        self.problem = problem
        self.fix = fix
        line = f"{setting}: {problem}"
        if fix:
            line += f"; {fix}"
        super().__init__(line)


class BadFileError(ConfigError, ValueError):
    """A malformed file: names the path and the fix; a ValueError too, for callers that skip one."""


class ConfigErrors(ConfigError):
    """Several invalid settings reported at once, one line each."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.setting, first.problem, first.fix)
        self.args = ("\n".join(str(e) for e in self.errors),)


class ToolError(StackctlError):
    """An external command failed: keeps the command line and its output."""

    def __init__(self, message: str, command: Sequence[str] = (), output: str = "") -> None:
        self.command = list(command)
        self.output = output
        super().__init__(message)


class StepError(StackctlError):
    """A pipeline step failed."""

    def __init__(self, step: str, message: str, hint: str = "", logs: str = "") -> None:
        self.step = step
        self.hint = hint
        self.logs = logs
        super().__init__(f"{step}: {message}" + (f" ({hint})" if hint else ""))
