"""Ledger forms: shape only. Quantities, units, currencies and dates stay
text here so nothing typed is lost; the services judge them."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from commons.forms import currency_choices
from commons.ledger import rules

KIND_CHOICES = [SelectChoice(kind, kind) for kind in rules.KINDS]
CATEGORY_CHOICES = [SelectChoice(key, label) for key, label in rules.WORK_CATEGORIES.items()]


def unit_choices() -> list[SelectChoice]:
    """The physical units, then money (a currency code is the unit of a need for money)."""
    return [*(SelectChoice(unit, unit, optgroup="Units") for unit in rules.UNITS),
            *(SelectChoice(c.value, c.label, optgroup="Money") for c in currency_choices())]


def _required(what: str) -> DataRequired:
    return DataRequired(message=f"Give {what}.")


class InputForm(FlaskForm):
    title = StringField("What is needed", validators=[_required("a title"), Length(max=200)],
                        description="Name it as others would, e.g. “PLA filament 1.75 mm”: "
                                    "the needs board groups the same title across projects.")
    kind = SelectField("Kind", choices=KIND_CHOICES, default="material")
    quantity = StringField("Quantity", validators=[_required("the quantity"), Length(max=40)],
                           description="A plain number, e.g. 20 or 2.5.")
    # Selects, but not judged here: the services say what is wrong with a unit.
    unit = SelectField("Unit", choices=unit_choices, validate_choice=False, default="piece",
                       validators=[_required("the unit"), Length(max=8)],
                       description="For money, the currency (a need for 200 EUR: quantity 200, "
                                   "unit EUR).")
    unit_cost = StringField("Estimated cost of one unit", validators=[Optional(), Length(max=40)],
                            description="Optional, e.g. 24.50. Leave empty for money.")
    currency = SelectField("Currency of the cost", choices=lambda: currency_choices("no cost"),
                           validate_choice=False, validators=[Optional(), Length(max=3)],
                           description="Needed with a cost.")
    needed_by = StringField("Needed by", validators=[Optional(), Length(max=10)],
                            description="Optional.")
    recurs = SelectField("How often", choices=[SelectChoice("", "Once"),
                                               SelectChoice("monthly", "Each month")],
                         default="", validate_choice=False,
                         validators=[Optional(), Length(max=8)],
                         description="Each month (rent, hosting, insurance): the quantity is "
                                     "needed every month, and the need reopens each month "
                                     "the pledges do not cover.")
    starts = StringField("First month", validators=[Optional(), Length(max=10)],
                         description="For a need each month: YYYY-MM; this month if empty.")
    description = TextAreaField("Description", validators=[Length(max=10000)],
                                description="What it is for, specifications, where it goes. "
                                            "Markdown.")


class PledgeForm(FlaskForm):
    quantity = StringField("Quantity", validators=[_required("the quantity"), Length(max=40)])
    note = TextAreaField("Note", validators=[Length(max=2000)],
                         description="Optional: when and how you will deliver it.")


class ReceiptForm(FlaskForm):
    quantity = StringField("Quantity received",
                           validators=[_required("the quantity"), Length(max=40)])
    pledge = SelectField("Against pledge", choices=[], validate_choice=False,
                         description="If this delivers a pledge, pick it; the provider is then "
                                     "the pledger unless you name another. Left as it is, "
                                     "a provider who pledged has their pledge delivered.")
    provider = StringField("Provider", validators=[Length(max=200)],
                           description="A person (their username), a shop, an organisation.")
    date = StringField("Received on", validators=[Optional(), Length(max=10)],
                       description="Today if empty.")
    evidence_url = StringField("Evidence link", validators=[Optional(), Length(max=2000)],
                               description="A receipt, invoice or photo online (https://...).")
    evidence_file = FileField("Or upload evidence",
                              description="A photo, scan or PDF of the receipt.")


class ConsumptionForm(FlaskForm):
    quantity = StringField("Quantity used", validators=[_required("the quantity"),
                                                        Length(max=40)])
    purpose = TextAreaField("What it was used for",
                            validators=[_required("what it was used for"), Length(max=2000)])
    commit = StringField("Commit (optional)", validators=[Optional(), Length(max=40)],
                         description="The commit id of the work it went into.")
    proposal = StringField("Proposal number (optional)", validators=[Optional(), Length(max=12)])
    date = StringField("Used on", validators=[Optional(), Length(max=10)],
                       description="Today if empty.")


class CloseForm(FlaskForm):
    reason = TextAreaField("Why close it", validators=[_required("a reason"), Length(max=2000)],
                           description="Closed inputs take no more pledges or receipts.")


class CorrectionForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[_required("a reason"), Length(max=2000)],
                           description="What was wrong. The original entry stays as it was.")
    quantity = StringField("Change to the quantity", validators=[Optional(), Length(max=40)],
                           description="Signed: -1 takes one away, 2.5 adds two and a half.")
    unit_cost = StringField("Change to the unit cost", validators=[Optional(), Length(max=40)],
                            description="Signed, in the need's currency.")
    hours = StringField("Change to the hours", validators=[Optional(), Length(max=40)],
                        description="Signed: -0.5 takes half an hour away.")


class WorkForm(FlaskForm):
    hours = StringField("Hours", validators=[_required("the hours"), Length(max=40)],
                        description="e.g. 2 or 1.5")
    category = SelectField("Kind of work", choices=CATEGORY_CHOICES, default="routine")
    description = TextAreaField("What you did",
                                validators=[_required("what you did"), Length(max=2000)])
    date = StringField("Date", validators=[Optional(), Length(max=10)])
    # Checked by the service (``confirm_rules.check_onerous``), not here: a
    # bad value gets the same message as in the API.
    onerous = SelectField("How onerous was it?", validate_choice=False, default="", choices=[
        SelectChoice("", "Not rated"), SelectChoice("1", "1: light"),
        SelectChoice("2", "2: heavy"), SelectChoice("3", "3: very heavy")],
        description="Your own rating; a project's recognition rule may weigh it.")


class ClaimForm(FlaskForm):
    """An expense claim: what a member paid for an input, with evidence."""

    amount = StringField("Amount you paid", validators=[_required("the amount"), Length(max=40)],
                         description="e.g. 24.50, in the input's currency.")
    currency = SelectField("Currency", choices=currency_choices, validate_choice=False,
                           validators=[_required("the currency"), Length(max=3)])
    date = StringField("Paid on", validators=[Optional(), Length(max=10)],
                       description="Today if empty.")
    description = TextAreaField("What you paid for", validators=[Length(max=2000)],
                                description="Optional: where you bought it, what it covers.")
    evidence_url = StringField("Evidence link", validators=[Optional(), Length(max=2000)],
                               description="The receipt or invoice online (https://...).")
    evidence_file = FileField("Or upload evidence",
                              description="A photo, scan or PDF of the receipt or invoice.")


class PayoutForm(FlaskForm):
    """A treasurer's record that a claim was paid."""

    method = SelectField("How it was paid", choices=[
        SelectChoice(method, method) for method in rules.PAYOUT_METHODS],
        default="bank transfer", validate_choice=False,
        validators=[_required("how it was paid"), Length(max=40)])
    reference = StringField("Reference", validators=[Optional(), Length(max=200)],
                            description="The bank's or the receipt's reference, if any.")
    date = StringField("Paid on", validators=[Optional(), Length(max=10)],
                       description="Today if empty.")
