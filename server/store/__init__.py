"""Persistence: SQLModel tables, the engines, the audit chain and every query (repository)."""
