"""Reads behind the prioritisation pages, each in a fixed number of queries."""
