"""Account forms: shape and format only; the services judge the content."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from commons import times


class RegisterForm(FlaskForm):
    username = StringField(
        "Username", validators=[DataRequired(), Length(max=39)],
        description="Lowercase letters, digits and hyphens; shown on your work.",
    )
    email = StringField(
        "Email", validators=[DataRequired(), Length(max=254)],
        description="The address you commit with, so your commits count as yours.",
    )
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=1024)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ; type them again.")],
    )


class LoginForm(FlaskForm):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class EmailForm(FlaskForm):
    email = StringField("Email address", validators=[DataRequired(), Length(max=254)])


class TokenForm(FlaskForm):
    name = StringField(
        "Token name", validators=[DataRequired(), Length(max=100)],
        description="What the token is for, e.g. “laptop git push”.",
    )
    expires_in_days = SelectField(
        "Expires",
        choices=[SelectChoice("30", "in 30 days"), SelectChoice("90", "in 90 days"),
                 SelectChoice("365", "in a year"), SelectChoice("", "never")],
        default="90",
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=1024)],
        description="At least 10 characters. Every other browser you are logged in "
                    "with is logged out.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ; type them again.")],
    )


class TimeZoneForm(FlaskForm):
    # The service says what is wrong with a name outside the list (a select
    # refused by WTForms would only say "Not a valid choice").
    time_zone = SelectField(
        "Time zone", validate_choice=False, default="UTC",
        description="Exact times (in tooltips and the journal) are shown in this zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = list(times.zone_names())
        # A refused name stays in the select, chosen, beside its error.
        typed = self.time_zone.data
        self.time_zone.choices = zones if not typed or typed in zones else [typed[:64], *zones]
