"""Webhooks: a project's members point hooks at URLs; each event the
project sends (pushes, proposals, ledger entries, membership) is posted
there as signed JSON by a job, after the change commits."""
