"""`stackctl drill`: faults (a Redis node killed, stopped, paused, failed over; a gateway
restarted) under constant-rate keyed load, measured from the client's side and from the
cluster's, with the stack restored after each scenario."""
