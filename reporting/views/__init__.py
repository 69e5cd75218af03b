"""Reporting pages: the figures (portfolios, dashboard, drill-down lists) and their exports."""
