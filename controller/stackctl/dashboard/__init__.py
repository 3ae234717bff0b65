"""Profile pro's work with the Tyk Dashboard: the Admin API bootstrap and API definitions
through the Dashboard for a Dashboard-mode gateway."""
