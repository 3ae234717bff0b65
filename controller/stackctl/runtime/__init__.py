"""The only package that drives Docker (through python-on-whales).

Every python-on-whales error is re-raised as `stackctl.errors.ToolError`, keeping the
command line and its stderr. Modules: `_client` (client construction, error mapping),
`engine` (engine and plugin facts), `images` (build, import, inspect), `compose`
(a project's services).
"""

from stackctl.runtime._client import docker_binary, docker_client, load_wrapper, tool_errors

__all__ = ["docker_binary", "docker_client", "load_wrapper", "tool_errors"]
