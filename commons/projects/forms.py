"""Project forms: shape and format only; the services judge the content."""

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from commons.forms import currency_choices


class ProjectForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    slug = StringField(
        "Slug", validators=[DataRequired(), Length(max=64)],
        description="Lowercase letters, digits and hyphens. Your project lives at "
                    "/projects/<slug> and clones from /projects/<slug>.git.",
    )
    description = TextAreaField("Description", validators=[Length(max=2000)],
                                description="What the project makes, and for whom. Markdown.")
    license = StringField(
        "Licence (SPDX identifier)", validators=[DataRequired(), Length(max=64)],
        default="AGPL-3.0-or-later",
        description="An open licence: OSI-approved, FSF-libre, or an open content, "
                    "data or hardware licence, e.g. GPL-3.0-or-later, CC-BY-SA-4.0, CERN-OHL-S-2.0.",
    )
    push = RadioField(
        "How work reaches the default branch",
        choices=[SelectChoice("review", "Review: only by passed merge proposals (review, then commit)"),
                 SelectChoice("direct", "Direct: members push it (commit, then review)")],
        default="review",
    )
    admission = RadioField(
        "Admission",
        choices=[SelectChoice("open", "Open: whoever joins is a member at once"),
                 SelectChoice("consent", "Consent: joining opens a proposal the members decide on")],
        default="open",
    )
    outside = RadioField(
        "Proposals from people who are not members",
        choices=[SelectChoice("accept", "Accept: anyone logged in may propose through refs/for/"),
                 SelectChoice("refuse", "Refuse: only members may propose")],
        default="accept",
    )
    review_window_hours = IntegerField(
        "Review window (hours)", validators=[Optional(), NumberRange(min=1, max=2160)],
        description="How long a proposal stays open for objections.",
    )
    threshold_amount = StringField(
        "Approval threshold", validators=[Optional(), Length(max=32)],
        description="Inputs estimated above this amount need a passed input proposal.",
    )
    threshold_currency = SelectField("Currency", choices=currency_choices, validate_choice=False,
                                     validators=[Optional(), Length(min=3, max=3)])
