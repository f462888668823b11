"""Notification forms: shape only; the services judge the values."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from commons.notifications import rules


class ModeForm(FlaskForm):
    mode = RadioField("Mail me", choices=[SelectChoice(mode, label)
                                             for mode, label in rules.MODE_LABELS.items()],
                      validators=[DataRequired(message="Choose how you are mailed.")])
    muted = SelectMultipleField(
        "Kinds of mail turned off (your inbox still lists them)",
        choices=[SelectChoice(e.name, e.label.capitalize()) for e in rules.EVENTS.values()]
        + [SelectChoice(rules.DIGEST, "The daily digest")],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class LevelForm(FlaskForm):
    level = SelectField("Notices", choices=[
        SelectChoice("default", "Default"),
        SelectChoice("watch", "Watch: mail everything at once"),
        SelectChoice("ignore", "Ignore: no mail, the inbox only")])
