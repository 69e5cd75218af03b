"""Prioritisation pages: scoring criteria, project scores, ranking with what-if."""
