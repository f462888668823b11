"""Governance: proposals decided by lazy consensus and carried out by the
platform."""
