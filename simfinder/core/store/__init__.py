"""The library on disk: the SQLite catalog, the vector index and the library that holds them."""
