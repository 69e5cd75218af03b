"""Forms of the project sections, one module per section."""
