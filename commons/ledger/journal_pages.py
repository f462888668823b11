"""The journal and its corrections, logged work, and evidence files."""

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from commons import clock
from commons.extensions import db
from commons.forms import attempt
from commons.ledger import chart, evidence, rules, services
from commons.ledger.blueprint import (
    PAGE,
    bp,
    form_status,
    is_member,
    load_project,
    page_before,
)
from commons.ledger.forms import CorrectionForm, WorkForm
from commons.problems import Invalid, NotFound
from commons.recognition import periods

# Served inline-safe types only; anything else downloads as bytes.
SAFE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
              "text/plain"}


# ---------------------------------------------------------------- the journal

@bp.route("/projects/<slug>/ledger/journal")
def journal(slug: str):
    project = load_project(slug)
    entries = services.journal(db.session, project, before=page_before(), limit=PAGE)
    work_seqs = [entry.seq for entry in entries if entry.action == "work"]
    return render_template(
        "ledger/journal.html", project=project, entries=entries, data=services.entry_data,
        inputs=services.inputs_numbered(db.session, project,
                                        (e.input_number for e in entries if e.input_number)),
        member=is_member(project), head=services.head(db.session, project),
        correctable=rules.CORRECTABLE,
        work=services.work_numbered(db.session, project, work_seqs),
        closed=periods.closed_periods(db.session, project.id) if work_seqs else set(),
        older=entries[-1].seq if len(entries) == PAGE and entries[-1].seq > 1 else None)


@bp.route("/projects/<slug>/ledger/<int(max=2147483647):seq>/correct", methods=["GET", "POST"])
@login_required
def correct(slug: str, seq: int):
    project = load_project(slug)
    try:
        entry = services.get_entry(db.session, project, seq)
    except NotFound as missing:
        abort(404, description=missing.message)
    allowed = rules.CORRECTABLE.get(entry.action)
    if allowed is None:
        abort(409, description=f"Entry #{seq} is a {entry.action} entry: it has no amounts to "
                               "correct. Record a new entry instead.")
    if entry.actor_id != current_user.id and not is_member(project):
        abort(403, description=f"Members of {project.name} correct entries, and anyone their "
                               "own. Join the project first.")
    form = CorrectionForm()
    problem = None
    if form.validate_on_submit():
        deltas = {key: getattr(form, key).data for key in allowed if getattr(form, key).data}

        def record_correction():
            if not deltas:
                raise Invalid("Give the change to make to at least one amount.",
                              field=allowed[0])
            return services.correct(db.session, project, current_user, seq, deltas,
                                    form.reason.data, clock.now())

        done = attempt(record_correction, show_on=form)
        problem = done.problem
        if done.ok:
            fixed = done.result
            flash(f"Entry #{fixed.seq} corrects entry #{seq}; the original stays as it was.",
                  "success")
            return redirect(url_for("ledger.journal", slug=slug) + f"#entry-{fixed.seq}")
    inputs = services.inputs_numbered(db.session, project, [entry.input_number]) \
        if entry.input_number else {}
    if entry.input_number and (need := inputs.get(entry.input_number)):
        form.quantity.label.text += f" (in {need.unit})"
        form.unit_cost.label.text += f" (in {need.currency})" if need.currency else ""
    return render_template("ledger/correct.html", project=project, entry=entry, form=form,
                           allowed=allowed, data=services.entry_data, inputs=inputs), \
        form_status(form, problem)


# ---------------------------------------------------------------- work

@bp.route("/projects/<slug>/work", methods=["GET", "POST"])
def work(slug: str):
    project = load_project(slug)
    form = WorkForm()
    problem = None
    if request.method == "GET":
        form.date.data = clock.now().date().isoformat()
    elif not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    elif form.validate_on_submit():
        done = attempt(lambda: services.log_work(
            db.session, project, current_user, form.hours.data, form.category.data,
            form.description.data, form.date.data, now=clock.now(),
            max_days_back=current_app.config["WORK_MAX_DAYS_BACK"],
            onerous=form.onerous.data), show_on=form)
        problem = done.problem
        if done.ok:
            logged = done.result
            flash(f"Logged {chart.figure(logged.hours)} hours of "
                  f"{rules.WORK_CATEGORIES[logged.category].lower()} work.", "success")
            return redirect(url_for("ledger.work", slug=slug))
    return render_template("ledger/work.html", project=project, form=form,
                           member=is_member(project), categories=rules.WORK_CATEGORIES,
                           logs=services.recent_work(db.session, project, PAGE),
                           closed=periods.closed_periods(db.session, project.id)), \
        form_status(form, problem) if request.method == "POST" else 200


# ---------------------------------------------------------------- evidence

@bp.route("/projects/<slug>/evidence/<sha256>", endpoint="evidence")
def evidence_file(slug: str, sha256: str):
    project = load_project(slug)
    path = evidence.path_for(Path(current_app.config["EVIDENCE_DIR"]), sha256)
    entry = services.evidence_receipt(db.session, project, sha256) if path else None
    if path is None or entry is None or not path.is_file():
        abort(404, description=f"{project.name}'s ledger names no evidence file {sha256[:64]}.")
    said = services.entry_data(entry)["evidence"]
    kind = said.get("type") if said.get("type") in SAFE_TYPES else "application/octet-stream"
    response = send_file(path, mimetype=kind, as_attachment=True,
                         download_name=said.get("name") or f"evidence-{sha256[:12]}",
                         max_age=3600)
    # A file someone uploaded never runs as a page of this site.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
