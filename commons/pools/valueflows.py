"""A pool as Valueflows JSON-LD (https://w3id.org/valueflows/ont/vf#), in
the vocabulary of the ledger's export (commons/ledger/valueflows.py):

- the pool: ``vf:EconomicResource`` at ``<BASE_URL>/pools/<id>``,
  vf:name, vf:note, vf:accountingQuantity what is available now,
  vf:primaryAccountable its steward (a vf:Person or the project, a
  vf:Organization), ``commons:period``, ``commons:contestedRule``;
- each round: ``vf:Plan`` at ``<BASE_URL>/pools/<id>/rounds/<n>``,
  dcterms:created when it opened, ``commons:status``;
- each request, one per project and iteration: ``vf:Intent``, action
  vf:transfer, vf:receiver the project, vf:resourceInventoriedAs the pool,
  vf:resourceQuantity, vf:plannedWithin the round's Plan, vf:note the
  justification, ``commons:iteration``, ``commons:withdrawn``,
  ``commons:serves`` the project's inputs (their pages);
- the allocation: a ``vf:Commitment`` per project, vf:provider the
  steward, vf:receiver the project, vf:resourceInventoriedAs the pool,
  vf:plannedWithin the Plan, vf:satisfies the project's request in the
  round's last iteration, and ``commons:pledge`` the pledge entries that
  carry it in the project's journal (nodes of that ledger's export).

Amounts are om2:Measure with an exact xsd:decimal, units as in the ledger
export (``commons:currency-<code>`` for money)."""

from decimal import Decimal

from sqlalchemy.orm import Session

from commons.ledger.quantity_rules import text
from commons.ledger.valueflows import UNITS, context
from commons.pools import reading
from commons.pools.models import Pool


def _measure(value: Decimal, unit: str) -> dict:
    unit_iri = UNITS.get(unit, f"commons:currency-{unit}")
    return {"@type": "om2:Measure",
            "om2:hasNumericalValue": {"@value": text(value), "@type": "xsd:decimal"},
            "om2:hasUnit": {"@id": unit_iri}}


def _stamp(at) -> dict:
    return {"@value": at.isoformat(), "@type": "xsd:dateTime"}


def pool_jsonld(session: Session, pool: Pool, base_url: str) -> dict:
    """The pool, its rounds, every request and every allocation as one
    JSON-LD document."""
    unit = pool.unit_or_currency
    pool_iri = f"{base_url}/pools/{pool.id}"
    steward: dict[str, str | None]
    if pool.steward_user is not None:
        steward = {"@id": f"{base_url}/users/{pool.steward_user.username}",
                   "@type": "vf:Person", "vf:name": pool.steward_user.username}
    else:
        project = pool.steward_project
        steward = {"@id": f"{base_url}/projects/{project.slug}" if project else None,
                   "@type": "vf:Organization", "vf:name": project.name if project else ""}
    resource = {"@id": pool_iri, "@type": "vf:EconomicResource", "vf:name": pool.title,
                "vf:accountingQuantity": _measure(pool.available, unit),
                "vf:primaryAccountable": {"@id": steward["@id"]},
                "commons:contestedRule": pool.contested_rule,
                "commons:eligibility": pool.eligibility,
                "dcterms:created": _stamp(pool.created_at)}
    if pool.description:
        resource["vf:note"] = pool.description
    if pool.period:
        resource["commons:period"] = pool.period
    graph: list[dict] = [resource, steward]
    agents: dict[str, dict] = {}
    for each in reversed(reading.rounds_of(session, pool)):
        plan_iri = f"{pool_iri}/rounds/{each.number}"
        graph.append({"@id": plan_iri, "@type": "vf:Plan",
                      "vf:name": f"{pool.title}: round {each.number}",
                      "dcterms:created": _stamp(each.opened_at), "commons:status": each.status,
                      "commons:iterations": each.iterations,
                      "commons:shares": {"@id": pool_iri}})
        last: dict[int, str] = {}
        for request, project in reading.every_request(session, each):  # oldest first
            project_iri = f"{base_url}/projects/{project.slug}"
            agents[project_iri] = {"@id": project_iri, "@type": "vf:Organization",
                                   "vf:name": project.name}
            intent_iri = f"{plan_iri}#request-{request.iteration}-{project.slug}"
            last[project.id] = intent_iri
            intent = {"@id": intent_iri, "@type": "vf:Intent",
                      "vf:action": {"@id": "vf:transfer"},
                      "vf:receiver": {"@id": project_iri},
                      "vf:resourceInventoriedAs": {"@id": pool_iri},
                      "vf:resourceQuantity": _measure(request.quantity, unit),
                      "vf:plannedWithin": {"@id": plan_iri},
                      "commons:iteration": request.iteration,
                      "commons:withdrawn": request.withdrawn,
                      "dcterms:created": _stamp(request.filed_at)}
            if request.justification:
                intent["vf:note"] = request.justification
            if request.input_numbers:
                intent["commons:serves"] = [
                    {"@id": f"{project_iri}/inputs/{n}"} for n in request.input_numbers]
            graph.append(intent)
        for allocation, project in reading.allocations_of(session, each):
            project_iri = f"{base_url}/projects/{project.slug}"
            commitment = {"@id": f"{plan_iri}#allocation-{project.slug}",
                          "@type": "vf:Commitment", "vf:action": {"@id": "vf:transfer"},
                          "vf:provider": {"@id": steward["@id"]},
                          "vf:receiver": {"@id": project_iri},
                          "vf:resourceInventoriedAs": {"@id": pool_iri},
                          "vf:resourceQuantity": _measure(allocation.quantity, unit),
                          "vf:plannedWithin": {"@id": plan_iri},
                          "commons:pledge": [
                              {"@id": f"{project_iri}/ledger#entry-{pledge['seq']}"}
                              for pledge in allocation.pledges or [] if "seq" in pledge]}
            if project.id in last:
                commitment["vf:satisfies"] = {"@id": last[project.id]}
            graph.append(commitment)
    graph.extend(agent for iri, agent in sorted(agents.items()) if iri != steward["@id"])
    if unit not in UNITS:
        graph.append({"@id": f"commons:currency-{unit}", "@type": "om2:Unit",
                      "om2:symbol": unit})
    return {"@context": context(base_url), "@graph": graph}
