"""One module of sentences per language; all share the same keys."""
