"""Pydantic models of the public REST contract."""
