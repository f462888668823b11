"""Rota forms: shape only; the services judge the values, so what was
typed comes back as typed."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from commons.ledger.work_rules import WORK_CATEGORIES
from commons.rotas.rules import DEFAULT_CATEGORY

CATEGORY_CHOICES = [SelectChoice(key, label) for key, label in WORK_CATEGORIES.items()]
EVERY_CHOICES = [SelectChoice("7", "Weekly"), SelectChoice("14", "Every two weeks"),
                 SelectChoice("1", "Every day"), SelectChoice("3", "Every three days"),
                 SelectChoice("28", "Every four weeks")]


class RotaForm(FlaskForm):
    title = StringField("Task", validators=[DataRequired(message="Name the task."),
                                            Length(max=200)],
                        description="What is to be done each turn, e.g. Clean the workshop.")
    # The service names every kind when an unknown one arrives.
    category = SelectField("Kind of work", choices=CATEGORY_CHOICES, default=DEFAULT_CATEGORY,
                           validate_choice=False)
    every_days = StringField("Every how many days", default="7",
                             validators=[DataRequired(message="Say every how many days."),
                                         Length(max=8)],
                             description="7 is weekly.")
    hours = StringField("About how many hours a turn", default="2",
                        validators=[DataRequired(message="Say about how many hours."),
                                    Length(max=20)])
    starts_on = StringField("First turn on", validators=[Optional(), Length(max=10)],
                            description="YYYY-MM-DD; empty for today.")


class DoneForm(FlaskForm):
    hours = StringField("Hours", validators=[Optional(), Length(max=20)])
    date = StringField("Done on", validators=[Optional(), Length(max=10)],
                       description="YYYY-MM-DD; empty for the turn's day (or today, if "
                                   "earlier).")


class SwapForm(FlaskForm):
    username = StringField("Ask", validators=[DataRequired(message="Say whom you ask."),
                                              Length(max=40)],
                           description="The username of someone in this rota.")
    other_number = StringField("In exchange for their turn",
                               validators=[Optional(), Length(max=10)],
                               description="A turn number of theirs, or empty to give "
                                           "yours away.")
