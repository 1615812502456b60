"""Business logic: plain functions taking models or ids and an explicit `actor`.

Services flush; the outermost caller (view, job, CLI command) commits once.
"""
