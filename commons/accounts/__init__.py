"""Accounts: people, their email addresses, password login and tokens."""

from commons.accounts.views import bp

__all__ = ["bp"]
