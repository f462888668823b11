"""Form pieces shared by every domain."""

from flask_wtf import FlaskForm

from commons.problems import Problem


class ConfirmForm(FlaskForm):
    """A button that changes something: it carries only the CSRF token."""


def show_problem(form: FlaskForm, problem: Problem) -> None:
    """Put *problem* next to the fields it is about, or above the form."""
    problems = problem.extra.get("problems") or {problem.field: problem.message}
    for name, message in problems.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
