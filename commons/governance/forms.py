"""Governance forms: shape only; the services judge the content."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from commons.forms import currency_choices
from commons.governance.rules import STANCE_WORDS

KIND_CHOICES = [
    SelectChoice("merge", "Merge a branch into the default branch"),
    SelectChoice("decision", "A decision (free text)"),
    SelectChoice("membership", "Admit a person"),
    SelectChoice("license", "Change the licence"),
    SelectChoice("policy", "Change the project's policy"),
    SelectChoice("input", "Approve an input the ledger lists as pending"),
]


class ProposalForm(FlaskForm):
    kind = RadioField("What do you propose?", choices=KIND_CHOICES, default="merge")
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Why, and what it changes", validators=[Length(max=20000)],
                         description="Markdown. The people affected read this first.")
    branch = StringField("Branch to merge", validators=[Optional(), Length(max=255)],
                         description="Push it first: git push origin HEAD:refs/heads/my-change")
    username = StringField("Person to admit", validators=[Optional(), Length(max=39)])
    license = StringField("New licence (SPDX identifier)", validators=[Optional(), Length(max=64)])
    input = IntegerField("Input number", validators=[Optional(), NumberRange(min=1)],
                         description="As on the project's ledger page: input #3 is 3.")
    admission = RadioField("Admission", validators=[Optional()], choices=[
        SelectChoice("", "unchanged"), SelectChoice("open", "open"),
        SelectChoice("consent", "consent")], default="")
    push = RadioField("Push", validators=[Optional()], choices=[
        SelectChoice("", "unchanged"), SelectChoice("review", "review"),
        SelectChoice("direct", "direct")], default="")
    outside = RadioField("Proposals from people who are not members", validators=[Optional()],
                         choices=[SelectChoice("", "unchanged"), SelectChoice("accept", "accept"),
                                  SelectChoice("refuse", "refuse")], default="")
    notify_outside_authors = RadioField(
        "Mail the affected people who have no account", validators=[Optional()],
        choices=[SelectChoice("", "unchanged"), SelectChoice("yes", "yes"),
                 SelectChoice("no", "no")], default="",
        description="Commit authors without an account get one mail per proposal that affects "
                    "their lines, and can take a stance from it (a licence change always mails "
                    "them).")
    review_window_hours = IntegerField("Review window (hours)",
                                       validators=[Optional(), NumberRange(min=1, max=2160)])
    threshold_amount = StringField("Approval threshold", validators=[Optional(), Length(max=32)])
    threshold_currency = SelectField("Currency", choices=currency_choices, validate_choice=False,
                                     validators=[Optional(), Length(max=3)])
    treasurer_grant = StringField("Name a treasurer (username)",
                                  validators=[Optional(), Length(max=39)],
                                  description="A member who will record payouts of expense "
                                              "claims.")
    treasurer_remove = StringField("Remove a treasurer (username)",
                                   validators=[Optional(), Length(max=39)])
    # The value rule (issue 20): a weight per kind of work; any filled in (or
    # the box ticked) proposes a whole new rule, the empty ones weighing 1.
    weight_routine = StringField("Weight of routine and maintenance work",
                                 validators=[Optional(), Length(max=16)])
    weight_care = StringField("Weight of care work (cleaning, cooking, support)",
                              validators=[Optional(), Length(max=16)])
    weight_creative = StringField("Weight of creative and design work",
                                  validators=[Optional(), Length(max=16)])
    weight_coordination = StringField("Weight of coordination work",
                                      validators=[Optional(), Length(max=16)])
    rule_onerous = BooleanField("The worker's own rating of how onerous the work was (1 to 3) "
                                "multiplies the weight")


class StanceForm(FlaskForm):
    stance = RadioField("Your stance", choices=[
        SelectChoice(key, words.choice) for key, words in STANCE_WORDS.items()],
        validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[Length(max=5000)],
                           description="Required for an objection: what would have to change?")
    # The revision the person read: a stance is consent to that content.
    revision = HiddenField()


class CommentForm(FlaskForm):
    # Ids of their own: the proposal page holds this form and ReviseForm.
    body = TextAreaField("Comment", validators=[DataRequired(), Length(max=10000)],
                         description="Markdown.", id="comment-body")


class ReviseForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)], id="revise-title")
    body = TextAreaField("Body", validators=[Length(max=20000)], description="Markdown.",
                         id="revise-body")
