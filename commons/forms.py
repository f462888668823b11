"""Form pieces shared by every domain."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Generic, TypeVar, cast

from babel.numbers import get_currency_name
from flask import flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from commons.extensions import db
from commons.money import currencies
from commons.problems import Problem

T = TypeVar("T")

# Offered first in every currency list; the rest follow by code.
COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")


def currency_choices(empty: str | None = None) -> list[SelectChoice]:
    """Every ISO 4217 currency commons accepts, as options of a select: the
    common ones first, then all by code, each with its English name. With
    *empty*, a first option of that label sends "" (an optional field)."""
    options = [SelectChoice("", empty)] if empty is not None else []
    return options + list(_currency_options())


@cache
def _currency_options() -> tuple[SelectChoice, ...]:
    def choice(code: str, group: str) -> SelectChoice:
        return SelectChoice(code, f"{code} ({get_currency_name(code, locale='en')})",
                            optgroup=group)

    return (*(choice(code, "Common") for code in COMMON_CURRENCIES),
            *(choice(code, "All currencies") for code in sorted(currencies())
              if code not in COMMON_CURRENCIES))


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


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """What came of one attempt: the action's result, or the problem that
    stopped it (then nothing it did was kept, and there is no result)."""

    result: T
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def attempt(action: Callable[[], T], show_on: FlaskForm | None = None) -> Attempt[T]:
    """Carry out *action* in one transaction: commit what it did, or, if it
    raises a Problem, roll all of it back and, given a form, put the problem
    beside its fields (the form keeps what was typed). The view decides what
    to flash, where to go and which status to answer."""
    try:
        result = action()
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        if show_on is not None:
            show_problem(show_on, problem)
        return Attempt(cast(T, None), problem)
    return Attempt(result)


def press_button(action: Callable[[], T], success: Callable[[T], str]) -> bool:
    """Carry out what a button (a ConfirmForm) asks for, in one transaction,
    and flash the outcome: *success(result)* or the problem's message.
    Returns whether it succeeded."""
    if not ConfirmForm().validate_on_submit():
        flash("That button's form could not be checked; reload the page and try again.", "error")
        return False
    done = attempt(action)
    if done.problem is not None:
        flash(done.problem.message, "error")
        return False
    flash(success(done.result), "success")
    return True


def form_page_on_get(endpoint: str, anchor: str = "") -> Callable:
    """For a form whose POST address is not its page's: that address opened
    with GET (a reload after an error re-rendered the page there, a copied
    link) goes to the page that holds the form instead of "Method Not
    Allowed". The route takes ``methods=["GET", "POST"]``; the page's
    endpoint takes the same URL arguments."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def answer(**kwargs):
            if request.method == "GET":
                return redirect(url_for(endpoint, **kwargs) + anchor)
            return view(**kwargs)
        return answer
    return decorate
