"""engine = swarm: the same stack on Docker Swarm (issue 17).

`stackfile` renders the stack file from the model; `render` writes it and every file it
turns into Swarm secrets and configs; `placement` reads node labels; `wait` decides when
tasks, the init job and the cluster are ready; `access` runs the local proxy through
which the host reaches the gateway when nothing is published.
"""
