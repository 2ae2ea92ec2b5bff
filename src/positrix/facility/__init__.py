"""The facility's system of record (layer 6): people, projects, instruments, bookings, usage,
billing and an audit chain, in SQLAlchemy 2 models with Alembic migrations and a service layer.

Every rule lives in the service functions (``positrix.facility.services``) and, where a
database can hold it, in the database itself; the CLI and the web app only call them.
"""
