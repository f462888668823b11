"""Rotas for routine and care work (issue 20): members opt in to a
recurring task, turns go first to those who did least of that kind of work,
turns are swapped by agreement, and a done turn is logged as work."""
