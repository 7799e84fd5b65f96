"""The engine: scanning, decoding, features, the library store and queries. No Qt in here."""
