"""The PySide6 desktop app. Start it with `simfinder gui` (or `simfinder` alone); the entry point
is `simfinder.gui.app.run`. Nothing here imports torch or onnxruntime: the indexing and query
threads load the CNN on first need."""
