"""The pool pages' forms: shape only. Amounts, units and project names
stay text here so nothing typed is lost; the services judge them."""

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from commons.forms import currency_choices
from commons.ledger import rules as ledger_rules
from commons.pools.rules import MAX_ITERATIONS


def _required(what: str) -> DataRequired:
    return DataRequired(message=f"Give {what}.")


def unit_choices() -> list[SelectChoice]:
    return [SelectChoice(unit, unit) for unit in ledger_rules.UNITS]


class PoolForm(FlaskForm):
    title = StringField("Name of the pool", validators=[_required("a name"), Length(max=200)],
                        description="What is shared, e.g. “Workshop hours, December”.")
    description = TextAreaField(
        "Description", validators=[Length(max=10000)],
        description="What it is, where, on what terms. Markdown.")
    kind = RadioField("What is shared", default="resource",
                      choices=[SelectChoice("resource", "A resource counted in a unit "
                                                        "(hours, kg, m2...)"),
                               SelectChoice("money", "Money")])
    available = StringField("How much is available",
                            validators=[_required("how much is available"), Length(max=40)],
                            description="A plain number, e.g. 100 or 2.5.")
    unit = SelectField("Unit", choices=unit_choices, default="hour", validate_choice=False,
                       validators=[Optional(), Length(max=8)],
                       description="For a resource: the ledger unit it is counted in.")
    currency = SelectField("Currency", choices=lambda: currency_choices("—"),
                           validate_choice=False, validators=[Optional(), Length(max=3)],
                           description="For money.")
    period = StringField("Period", validators=[Optional(), Length(max=40)],
                         description="Optional, e.g. 2026-12 for a pool offered each month; "
                                     "empty for once.")
    steward_project = SelectField("Steward", choices=[], validate_choice=False,
                          description="Who records what is really available: you, or a "
                                      "project you are a member of.")
    eligibility = RadioField("Who may request", default="any",
                             choices=[SelectChoice("any", "Any project"),
                                      SelectChoice("listed", "Only the projects listed below")])
    eligible = TextAreaField(
        "Projects that may request", validators=[Length(max=5000)],
        description="Their slugs (as in /projects/<slug>), separated by commas or lines; "
                    "only when only listed projects may request.")
    contested_rule = RadioField(
        "What remains contested after the last iteration", default="proportional",
        choices=[SelectChoice("proportional", "Cut every request in proportion"),
                 SelectChoice("proposal", "A proposal among the requesting projects decides")])


class AvailabilityForm(FlaskForm):
    available = StringField("Now available",
                            validators=[_required("how much is available"), Length(max=40)])
    reason = TextAreaField("Why it changed", validators=[_required("a reason"),
                                                         Length(max=2000)],
                           description="Shown in the pool's history and on the next "
                                       "iteration's figures.")


class ClosePoolForm(FlaskForm):
    reason = TextAreaField("Why close it", validators=[_required("a reason"), Length(max=2000)],
                           description="A closed pool takes no new rounds.")


class RoundForm(FlaskForm):
    iterations = StringField("Iterations", default="3",
                             validators=[_required("the number of iterations"), Length(max=4)],
                             description=f"1 to {MAX_ITERATIONS}: how many times projects see "
                                         "the pressure and revise.")
    iteration_days = StringField("Length of each iteration, in days", default="3",
                                 validators=[_required("the length"), Length(max=12)],
                                 description="e.g. 3 or 1.5; never shorter than the shortest "
                                             "review window.")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RequestForm(FlaskForm):
    project = SelectField("For the project", choices=[], validate_choice=False,
                          validators=[_required("the project")])
    quantity = StringField("Quantity", validators=[_required("the quantity"), Length(max=40)],
                           description="In the pool's unit; not more than the project asked "
                                       "in the previous iteration.")
    input_numbers = CheckboxesField("Needs it would serve", choices=[], coerce=int,
                                    validate_choice=False,
                                    description="The project's open needs this request is for.")
    justification = TextAreaField("Justification", validators=[Length(max=10000)],
                                  description="Why the project needs this, for the other "
                                              "projects to weigh. Markdown.")


class WithdrawForm(FlaskForm):
    project = HiddenField(validators=[_required("the project")])
