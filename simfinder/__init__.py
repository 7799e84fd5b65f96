"""simfinder: find duplicate and similar photos, privately, on your own machine."""

__version__ = "0.1.0"
