"""Where the ledger is kept: tables, migrations, the unit of work and the ledger store.

SQLAlchemy Core, not ORM objects: the hot paths insert and sum rows, and Core keeps that visible.
The same migrations run on SQLite (the embedded default) and PostgreSQL.
"""
