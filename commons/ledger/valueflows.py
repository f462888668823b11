"""The journal as Valueflows JSON-LD (https://w3id.org/valueflows/ont/vf#).

Each entry is one node, ``<BASE_URL>/projects/<slug>/ledger#entry-<seq>``,
typed ``commons:Entry`` with its seq, action, time (dcterms:created),
author (dcterms:creator), hash and prev_hash, so the graph holds the whole
journal. The entries that are economic flows are typed as Valueflows says:

- need: ``vf:Intent``, action vf:transfer, vf:receiver the project,
  vf:name the title, vf:note the description, vf:resourceClassifiedAs the
  kind (``commons:kind-material``...), vf:resourceQuantity, vf:due the
  needed-by date (xsd:date). The estimated unit cost is
  ``commons:estimatedUnitCost``, a measure in the currency: Valueflows
  prices things through the reciprocal Intent of a Proposal, which would
  say the project pays, and a need's cost is an estimate (many pledges are
  gifts); vf:effortQuantity means time spent, not money.
- pledge: ``vf:Commitment`` that vf:satisfies the Intent; vf:provider the
  pledger, vf:receiver the project, vf:resourceQuantity.
- receipt: ``vf:EconomicEvent``, action vf:transfer; vf:satisfies the
  Intent and, when it delivered a pledge, vf:fulfills that Commitment;
  vf:provider a person (their IRI) or a blank ``vf:Agent`` with the name
  typed; vf:receiver the project; vf:hasPointInTime the day received
  (xsd:date); ``commons:evidence`` the link, or the stored file with its
  ``commons:sha256``.
- consumption: ``vf:EconomicEvent``, action vf:consume, provider and
  receiver the project, vf:note what it was used for.
- work: ``vf:EconomicEvent``, action vf:work, vf:provider the worker,
  vf:receiver the project, vf:effortQuantity in om2:hour,
  vf:resourceClassifiedAs the category (``commons:work-care``...);
  ``commons:onerous`` the worker's rating (1 to 3) when given.
- work_confirm, work_unconfirm (issue 20): ``commons:Entry`` only,
  ``commons:concerns`` the work's event, ``commons:confirmedBy`` the
  confirmer (a withdrawal: ``commons:withdraws`` the confirmation).
- correction: ``vf:EconomicEvent`` that ``vf:corrects`` the corrected
  entry's node, with the action of the flow it corrects and the signed
  deltas as its quantities (vf:resourceQuantity, vf:effortQuantity,
  commons:estimatedUnitCost). Valueflows corrects events only; a correction
  of a need or a pledge points at its Intent or Commitment all the same,
  because the journal never edits anything.
- approve, close, withdraw: ``commons:Entry`` only, with
  ``commons:concerns`` the Intent (a withdrawal: the Commitment).
- claim (an expense claim): ``vf:Claim``, action vf:transfer, vf:provider
  the project (who owes), vf:receiver the member who paid, vf:resourceQuantity
  the amount in ``commons:currency-<code>``, vf:created the day paid, its
  evidence as a receipt's; claim_approve and claim_refuse: ``commons:Entry``
  concerning it (a refusal with its reason).
- payout: ``vf:EconomicEvent``, action vf:transfer from the project to the
  claimant, that ``vf:settles`` the Claim; commons:method, commons:reference.
- distribution: ``commons:Entry`` with commons:period, the amount shared
  (vf:resourceQuantity), commons:ruleVersion, commons:proposal, and
  ``commons:shares``: one ``vf:Claim`` per share with an amount
  (``#entry-<seq>-share-<n>``), vf:provider the project, vf:receiver the
  person, vf:resourceQuantity, commons:recognition; a payout of a share
  settles that Claim.

Every amount is an ``om2:Measure`` whose om2:hasNumericalValue is typed
xsd:decimal and written exactly as the journal has it ("12.50" stays
"12.50"); om2:hasUnit is an OM 2 unit (a piece is om2:one), or for money
``commons:currency-<ISO 4217 code>`` (OM 2 names only a few currencies),
described as an om2:Unit at the end of the document.

The document holds a ``commons:Ledger`` node naming the project (a
vf:Organization) and the head the export was cut at (commons:headSeq,
commons:headHash). People are ``vf:Person`` at ``<BASE_URL>/users/<name>``.
``commons:`` is ``<BASE_URL>/ns/ledger#``."""

import json
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

from sqlalchemy.orm import Session

from commons.ledger.exports import Head, Row, batched, rows
from commons.projects.models import Project

VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"

UNITS = {
    "piece": "om2:one", "g": "om2:gram", "kg": "om2:kilogram", "t": "om2:tonne",
    "m": "om2:metre", "m2": "om2:squareMetre", "m3": "om2:cubicMetre", "l": "om2:litre",
    "kWh": "om2:kilowattHour", "hour": "om2:hour", "day": "om2:day", "month": "om2:month",
}
FLOWS = {"need": "vf:transfer", "pledge": "vf:transfer", "receipt": "vf:transfer",
         "consume": "vf:consume", "work": "vf:work"}
# What an IRI may carry unescaped (RFC 3986 reserved and unreserved, and
# existing %-escapes); anything else a person typed in a link is escaped.
_IRI_SAFE = ";/?:@&=+$,-_.!~*'()#[]%"


def namespace(base_url: str) -> str:
    return f"{base_url}/ns/ledger#"


def context(base_url: str) -> dict:
    return {"vf": VF, "om2": OM2, "xsd": XSD, "dcterms": DCTERMS,
            "commons": namespace(base_url)}


def _decimal(value: str) -> dict:
    return {"@value": value, "@type": "xsd:decimal"}


def _date(value: str) -> dict:
    return {"@value": value, "@type": "xsd:date"}


class _Graph:
    """Turns entries into nodes, remembering what later entries point at:
    each input's Intent, unit and currency; the people and currencies met."""

    def __init__(self, project: Project, base_url: str):
        self.base = base_url
        self.project_iri = f"{base_url}/projects/{project.slug}"
        self.ledger_iri = f"{self.project_iri}/ledger"
        self.inputs: dict[int, tuple[str, str, str | None]] = {}
        self.people: set[str] = set()
        self.currencies: set[str] = set()

    def entry(self, seq: int) -> dict:
        return {"@id": f"{self.ledger_iri}#entry-{seq}"}

    def person(self, username: str) -> dict:
        self.people.add(username)
        return {"@id": f"{self.base}/users/{username}"}

    def measure(self, value: str, unit: str) -> dict:
        if unit in UNITS:
            unit_iri = UNITS[unit]
        else:
            self.currencies.add(unit)
            unit_iri = f"commons:currency-{unit}"
        return {"@type": "om2:Measure", "om2:hasNumericalValue": _decimal(value),
                "om2:hasUnit": {"@id": unit_iri}}

    def node(self, row: Row) -> dict:
        document = json.loads(row.payload)
        action, data = document["action"], document["data"]
        node = {**self.entry(row.seq), "@type": ["commons:Entry"], "commons:seq": row.seq,
                "commons:action": action,
                "dcterms:created": {"@value": document["at"], "@type": "xsd:dateTime"},
                "commons:hash": row.hash, "commons:prevHash": row.prev_hash}
        if document["actor"]:
            node["dcterms:creator"] = self.person(document["actor"])
        if action == "need":
            self.inputs[data["input"]] = (node["@id"], data["unit"], data.get("currency"))
        elif data.get("input") is not None:  # a distribution's share has no input
            node["commons:concerns"] = {"@id": self.inputs[data["input"]][0]}
        getattr(self, f"_{action}")(node, data)
        return node

    def _flow(self, node: dict, kind: str, action: str) -> None:
        node["@type"].insert(0, kind)
        node["vf:action"] = {"@id": FLOWS[action]}

    def _need(self, node: dict, data: dict) -> None:
        self._flow(node, "vf:Intent", "need")
        node.update({"commons:input": data["input"], "vf:name": data["title"],
                     "vf:receiver": {"@id": self.project_iri},
                     "vf:resourceClassifiedAs": {"@id": f"commons:kind-{data['kind']}"},
                     "vf:resourceQuantity": self.measure(data["quantity"], data["unit"]),
                     "commons:approval": data["approval"]})
        if data.get("description"):
            node["vf:note"] = data["description"]
        if data.get("unit_cost") is not None:
            node["commons:estimatedUnitCost"] = self.measure(data["unit_cost"], data["currency"])
        if data.get("needed_by"):
            node["vf:due"] = _date(data["needed_by"])
        if data.get("recurs"):  # the quantity is per month from the start month (issue 20)
            node["commons:recurs"] = data["recurs"]
            node["commons:startsMonth"] = {"@value": data["starts"], "@type": "xsd:gYearMonth"}

    def _approve(self, node: dict, data: dict) -> None:
        node["commons:decidedBy"] = {
            "@id": f"{self.project_iri}/proposals/{data['proposal']}"}

    def _close(self, node: dict, data: dict) -> None:
        node["vf:note"] = data["reason"]

    def _pledge(self, node: dict, data: dict) -> None:
        self._flow(node, "vf:Commitment", "pledge")
        intent, unit, _ = self.inputs[data["input"]]
        node.update({"vf:satisfies": {"@id": intent}, "vf:provider": self.person(data["pledger"]),
                     "vf:receiver": {"@id": self.project_iri},
                     "vf:resourceQuantity": self.measure(data["quantity"], unit)})
        if data.get("note"):
            node["vf:note"] = data["note"]

    def _withdraw(self, node: dict, data: dict) -> None:
        node["commons:concerns"] = self.entry(data["pledge"])

    def _receipt(self, node: dict, data: dict) -> None:
        self._flow(node, "vf:EconomicEvent", "receipt")
        intent, unit, _ = self.inputs[data["input"]]
        provider = self.person(data["provider_user"]) if data.get("provider_user") else \
            {"@type": "vf:Agent", "vf:name": data["provider"]}
        node.update({"vf:satisfies": {"@id": intent}, "vf:provider": provider,
                     "vf:receiver": {"@id": self.project_iri},
                     "vf:resourceQuantity": self.measure(data["quantity"], unit),
                     "vf:hasPointInTime": _date(data["date"])})
        if data.get("pledge") is not None:
            node["vf:fulfills"] = self.entry(data["pledge"])
        self._evidence(node, data)

    def _evidence(self, node: dict, data: dict) -> None:
        evidence = []
        if data.get("evidence_url"):
            evidence.append({"@id": quote(data["evidence_url"], safe=_IRI_SAFE)})
        if file := data.get("evidence"):
            evidence.append({"@id": f"{self.project_iri}/evidence/{file['sha256']}",
                             "commons:sha256": file["sha256"], "dcterms:title": file["name"],
                             "dcterms:format": file["type"]})
        if evidence:
            node["commons:evidence"] = evidence

    def _consume(self, node: dict, data: dict) -> None:
        self._flow(node, "vf:EconomicEvent", "consume")
        _, unit, _ = self.inputs[data["input"]]
        node.update({"vf:provider": {"@id": self.project_iri},
                     "vf:receiver": {"@id": self.project_iri},
                     "vf:resourceQuantity": self.measure(data["quantity"], unit),
                     "vf:hasPointInTime": _date(data["date"]), "vf:note": data["purpose"]})
        if data.get("commit"):
            node["commons:commit"] = data["commit"]
        if data.get("proposal") is not None:
            node["commons:proposal"] = {
                "@id": f"{self.project_iri}/proposals/{data['proposal']}"}

    def _work(self, node: dict, data: dict) -> None:
        self._flow(node, "vf:EconomicEvent", "work")
        node.update({"vf:provider": self.person(data["worker"]),
                     "vf:receiver": {"@id": self.project_iri},
                     "vf:effortQuantity": self.measure(data["hours"], "hour"),
                     "vf:resourceClassifiedAs": {"@id": f"commons:work-{data['category']}"},
                     "vf:hasPointInTime": _date(data["date"])})
        if data.get("description"):
            node["vf:note"] = data["description"]
        if data.get("onerous"):
            node["commons:onerous"] = data["onerous"]

    def _work_confirm(self, node: dict, data: dict) -> None:
        """Another member's word that the work entry's hours were done
        (issue 20): it concerns that entry; Valueflows has no term of its own."""
        node.update({"commons:concerns": self.entry(data["work"]),
                     "commons:confirmedBy": self.person(data["confirmer"])})

    def _work_unconfirm(self, node: dict, data: dict) -> None:
        node.update({"commons:concerns": self.entry(data["work"]),
                     "commons:withdraws": self.entry(data["confirmation"])})

    def _correct(self, node: dict, data: dict) -> None:
        self._flow(node, "vf:EconomicEvent", data["action"])
        node.update({"vf:corrects": self.entry(data["corrects"]), "vf:note": data["reason"]})
        deltas = data["deltas"]
        if "hours" in deltas:
            node["vf:effortQuantity"] = self.measure(deltas["hours"], "hour")
        if "input" in data:
            _, unit, currency = self.inputs[data["input"]]
            if "quantity" in deltas:
                node["vf:resourceQuantity"] = self.measure(deltas["quantity"], unit)
            if "unit_cost" in deltas and currency:  # rules refuse a cost without a currency
                node["commons:estimatedUnitCost"] = self.measure(deltas["unit_cost"], currency)
        if "approval" in data:
            node["commons:approval"] = data["approval"]

    def _claim(self, node: dict, data: dict) -> None:
        """An expense claim: what the project owes the member who paid."""
        node["@type"].insert(0, "vf:Claim")
        node.update({"vf:action": {"@id": "vf:transfer"},
                     "vf:provider": {"@id": self.project_iri},
                     "vf:receiver": self.person(data["claimant"]),
                     "vf:resourceQuantity": self.measure(data["amount"], data["currency"]),
                     "vf:created": _date(data["date"]),
                     "commons:approval": data["approval"]})
        if data.get("description"):
            node["vf:note"] = data["description"]
        self._evidence(node, data)

    def share(self, seq: int, place: int) -> dict:
        """The Claim of share *place* of distribution entry *seq*."""
        return {"@id": f"{self.ledger_iri}#entry-{seq}-share-{place}"}

    def _distribution(self, node: dict, data: dict) -> None:
        """A passed distribution: the amount shared for a month, decided by
        its proposal, and one ``vf:Claim`` per share with an amount (the
        project owes the person), which a payout settles."""
        seq = node["commons:seq"]
        node.update({"commons:period": data["period"],
                     "vf:resourceQuantity": self.measure(data["amount"], data["currency"]),
                     "commons:ruleVersion": data["rule_version"],
                     "commons:proposal": {
                         "@id": f"{self.project_iri}/proposals/{data['proposal']}"}})
        claims = []
        for place, share in enumerate(data["shares"], start=1):
            if Decimal(share["amount"]) == 0:
                continue  # rounded to nothing: no claim
            claims.append({**self.share(seq, place), "@type": "vf:Claim",
                           "vf:action": {"@id": "vf:transfer"},
                           "vf:provider": {"@id": self.project_iri},
                           "vf:receiver": self.person(share["user"]),
                           "vf:resourceQuantity": self.measure(share["amount"],
                                                               data["currency"]),
                           "commons:recognition": _decimal(share["recognition"]),
                           "commons:share": place})
        node["commons:shares"] = claims

    def _claim_approve(self, node: dict, data: dict) -> None:
        node["commons:concerns"] = self.entry(data["claim"])
        node["commons:proposal"] = {"@id": f"{self.project_iri}/proposals/{data['proposal']}"}

    def _claim_refuse(self, node: dict, data: dict) -> None:
        """A claim refused or withdrawn: it concerns the claim, says why,
        and names the proposal that did not pass, if one did not."""
        node["commons:concerns"] = self.entry(data["claim"])
        node["commons:reason"] = data["reason"]
        if data.get("proposal") is not None:
            node["commons:proposal"] = {
                "@id": f"{self.project_iri}/proposals/{data['proposal']}"}

    def _payout(self, node: dict, data: dict) -> None:
        """A payout: money from the project to the claimant that settles
        the claim."""
        node["@type"].insert(0, "vf:EconomicEvent")
        node.update({"vf:action": {"@id": "vf:transfer"},
                     "vf:provider": {"@id": self.project_iri},
                     "vf:resourceQuantity": self.measure(data["amount"], data["currency"]),
                     "vf:settles": self.share(data["claim"], data["share"]) if data.get("share")
                     else self.entry(data["claim"]),
                     "vf:hasPointInTime": _date(data["date"]),
                     "commons:method": data["method"]})
        if data.get("payee"):
            node["vf:receiver"] = self.person(data["payee"])
        if data.get("reference"):
            node["commons:reference"] = data["reference"]

    def closing_nodes(self) -> list[dict]:
        people = [{**self.person(name), "@type": "vf:Person", "vf:name": name}
                  for name in sorted(self.people)]
        units = [{"@id": f"commons:currency-{code}", "@type": "om2:Unit", "om2:symbol": code}
                 for code in sorted(self.currencies)]
        return people + units


def ledger_jsonld(session: Session, project: Project, head: Head, base_url: str
                  ) -> Iterator[str]:
    """The journal up to *head* as one JSON-LD document, written as it is
    read."""
    graph = _Graph(project, base_url)
    opening = [
        {"@id": graph.ledger_iri, "@type": "commons:Ledger",
         "dcterms:title": f"The inputs ledger of {project.name}",
         "commons:project": {"@id": graph.project_iri},
         "commons:headSeq": head.seq, "commons:headHash": head.hash},
        {"@id": graph.project_iri, "@type": "vf:Organization", "vf:name": project.name},
    ]
    yield (f'{{"@context":{_dumps(context(base_url))},"@graph":['
           + ",".join(_dumps(node) for node in opening))
    for batch in batched(rows(session, project, head)):
        yield "".join("," + _dumps(graph.node(row)) for row in batch)
    yield "".join("," + _dumps(node) for node in graph.closing_nodes()) + "]}"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
