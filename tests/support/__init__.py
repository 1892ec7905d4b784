"""Helpers the tests share (not tests themselves): the test database, real servers and
services, images, SMTP, snapshots of what is stored. Fixtures live in tests/conftest.py."""
