"""Durable storage on the booth: SQLite (WAL, fsync), the sealed envelope format, capture records and the disk
reserve.
"""
