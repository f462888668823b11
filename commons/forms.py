"""Form pieces shared by every domain."""

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from flask_wtf import FlaskForm

from commons.extensions import db
from commons.problems import Problem

T = TypeVar("T")


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


def press_button(action: Callable[[], T], success: Callable[[T], str]) -> bool:
    """Carry out what a button (a ConfirmForm) asks for, in one transaction,
    and flash the outcome: *success(result)* or the problem's message.
    Returns whether it succeeded."""
    if not ConfirmForm().validate_on_submit():
        flash("That button's form could not be checked; reload the page and try again.", "error")
        return False
    try:
        result = action()
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return False
    flash(success(result), "success")
    return True
