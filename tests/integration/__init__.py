"""Behavioural integration suite: every test runs on a SQLite file and a PostgreSQL schema."""
