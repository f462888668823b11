"""Contribution forms: shape only; the services judge the values, so what
was typed comes back as typed."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from commons.contributions import rules

KIND_CHOICES = [SelectChoice(kind, f"{label} ({kind})") for kind, label in
                sorted(rules.KINDS.items(), key=lambda item: item[1])]


class CreditForm(FlaskForm):
    username = StringField("Who", validators=[DataRequired(message="Give their username."),
                                              Length(max=40)],
                           description="Their username on commons; you may credit yourself.")
    # The service names every kind when an unknown one arrives.
    kind = SelectField("Kind of contribution", choices=KIND_CHOICES, default="design",
                       validate_choice=False)
    evidence_url = StringField(
        "Evidence", validators=[DataRequired(message="Give a link to the evidence."),
                                Length(max=2000)],
        description="A link anyone can follow: the document, the photos, the event page, "
                    "the thread.")
    note = TextAreaField("What they did", validators=[Optional(), Length(max=2000)])
    date = StringField("Date", validators=[Optional(), Length(max=10)])
