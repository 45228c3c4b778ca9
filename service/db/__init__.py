"""Storage: SQLAlchemy 2.0 models, engine/session setup, repositories and migrations."""
