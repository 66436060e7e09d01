"""The version of oerlog (also in pyproject.toml), in a module of its own so that any layer can name it in a
receipt without importing the package's public face (``oerlog/__init__.py``, which re-exports the API)."""

__version__ = "0.1.0"
