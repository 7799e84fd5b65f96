"""Indexing: walking folders, telling offline folders, the pipeline and each photo's neighbours."""
