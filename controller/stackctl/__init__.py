"""stackctl: a Tyk API Gateway stack on a real Redis Cluster, configured from one model."""

from stackctl._version import __version__
from stackctl.errors import ConfigError, StackctlError, StepError, ToolError

__all__ = ["ConfigError", "StackctlError", "StepError", "ToolError", "__version__"]
