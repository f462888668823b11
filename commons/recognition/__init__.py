"""Recognition of work (issue 20): confirmed hours, the value rule a
project adopts by consent, distributions of its funds by that rule."""
