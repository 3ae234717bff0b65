"""engine = swarm: the same stack on Docker Swarm (issue 17): the stack file, placement,
waits, the meter, load tasks and the local access proxy."""
