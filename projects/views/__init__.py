"""Project pages. Each section of the project page has its own module."""
