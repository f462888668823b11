"""Projects: open-licensed work, its members and its policy."""
