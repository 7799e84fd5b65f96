"""Clean-up: the copy to keep, and moving the others to the trash or a folder (undoable)."""
