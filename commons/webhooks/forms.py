"""The webhook form: shape only; the services check the URL's address."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from commons.webhooks.rules import EVENTS, MAX_URL_LENGTH


class WebhookForm(FlaskForm):
    url = StringField("Payload URL", validators=[DataRequired(), Length(max=MAX_URL_LENGTH)],
                      description="http:// or https://; each event is POSTed here as JSON.")
    secret = StringField(
        "Secret", validators=[Length(max=255)],
        description="Signs each delivery (X-Commons-Signature: sha256=HMAC of the body). "
                    "Leave empty to keep the current one, or to have one generated.")
    events = SelectMultipleField(
        "Events", choices=[SelectChoice(key, label) for key, label in EVENTS.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validate_choice=False)  # the service names an unknown event
    enabled = BooleanField("Active: send deliveries", default=True)
