"""The only package that drives Docker (through python-on-whales); every error it meets is
re-raised as `stackctl.errors.ToolError`, keeping the command line and its stderr."""

from stackctl.runtime._client import docker_binary, docker_client, load_wrapper, tool_errors

__all__ = ["docker_binary", "docker_client", "load_wrapper", "tool_errors"]
