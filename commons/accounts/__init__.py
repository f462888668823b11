"""Accounts: people, their email addresses, password login and tokens.

The blueprint is ``commons.accounts.views.bp``; importing the models does
not import the pages (a database-only command needs the models alone)."""
