"""Projects: open-licensed work, its members and its policy."""

from commons.projects.views import bp

__all__ = ["bp"]
