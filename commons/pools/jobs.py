"""Pools' jobs. For now it only loads the pools' tables into the metadata
(a pledge refers to a pool round); the iteration-closing sweep follows."""

from commons.pools import models  # noqa: F401 (the tables, for the metadata)
