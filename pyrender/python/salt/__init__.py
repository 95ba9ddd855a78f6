"""Brine's small stand-in for the salt package: what #!py files import
(salt.config, salt.exceptions, salt.utils.smtp), run inside Brine's #!py
renderer."""
