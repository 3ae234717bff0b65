"""HTTP clients for Tyk's control planes (httpx; control-plane calls only, never load)."""
