"""Reading photos: formats, companion files, decoding, thumbnails, hashes and embeddings."""
