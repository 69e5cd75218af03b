"""Gate workflows and reviews arrive with the governance issue."""
