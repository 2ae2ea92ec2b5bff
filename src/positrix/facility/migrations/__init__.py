"""Alembic migrations of the facility database (run by :mod:`positrix.facility.schema`)."""
