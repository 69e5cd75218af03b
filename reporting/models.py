"""KPI definitions, snapshots and report schedules arrive with the reporting issue."""
