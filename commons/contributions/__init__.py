"""Contributor records: every kind of contribution (commits, decisions,
hours of work, inputs, credited work of the All Contributors kinds) per
person and project, side by side, with no single score."""
