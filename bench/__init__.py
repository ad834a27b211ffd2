"""aplcore benchmark suite: ``python -m bench`` runs it and writes ``bench/README.md``."""
