"""One engine under every action: the `Engine` interface (`base`), its two
implementations (`compose`, `swarm`) and the factory that picks one (`factory`)."""
