"""Matching: candidate pairs, the rules that judge them, verification, grouping and search."""
