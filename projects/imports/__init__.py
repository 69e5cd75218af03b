"""Files from other tools read into the project domain (Microsoft Project plans: mspdi)."""
