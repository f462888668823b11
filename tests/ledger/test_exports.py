"""The exports, read back as a stranger would read them: the CSV parsed
with the csv module and its hash chain recomputed, the JSON parsed, the
Valueflows JSON-LD parsed with rdflib with every quantity exact. Each is
cut at the head it names, even when an entry lands during the download."""

import csv
import io
import json
from decimal import Decimal

import pytest
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef

from commons.extensions import db
from commons.ledger import rules, services

VF = Namespace("https://w3id.org/valueflows/ont/vf#")
OM2 = Namespace("http://www.ontology-of-units-of-measure.org/resource/om-2/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
BASE = "http://commons.test"
COMMONS = Namespace(f"{BASE}/ns/ledger#")
LEDGER = f"{BASE}/projects/dryer/ledger"
EXPORTS = "/api/v1/projects/dryer/"
# rdflib's JSON-LD parser builds a ConjunctiveGraph internally.
RDFLIB_WARNING = "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"


def entry(seq: int) -> URIRef:
    return URIRef(f"{LEDGER}#entry-{seq}")


def seed(ledger) -> None:
    """Every kind of entry: needs in kg, EUR and JPY-priced pieces, a
    pledge delivered in part, a receipt from a shop with a stored file,
    use, work, corrections of a receipt, a need's cost and work hours, a
    withdrawn pledge, an approval by proposal and a close."""
    session, project, now = db.session, ledger.project, ledger.clock
    ledger.need(needed_by="2026-04-01")                                        # 1
    ledger.need(title="Workshop rent", kind="money", quantity="150.00", unit="EUR",
                unit_cost=None, currency=None)                                 # 2 pending
    ledger.need(title="Solar cells", kind="equipment", quantity="12", unit="piece",
                unit_cost="1200", currency="JPY")                              # 3 pending
    pledge = services.pledge(session, project, ledger.cy, 1, "5", "a spool", now=now())  # 4
    services.record_receipt(session, project, ledger.bo, 1, "4.5", pledge_seq=pledge.seq,
                            evidence_url="https://example.org/receipt?id=7&x={1}",
                            now=now())                                         # 5
    services.record_receipt(session, project, ledger.bo, 1, "2.125", "Filament shop",
                            received_on="2026-02-27", now=now(), evidence=services.Evidence(
                                "ab" * 32, 1234, "invoice.pdf", "application/pdf"))  # 6
    services.record_consumption(session, project, ledger.bo, 1, "1.25", "first prototype",
                                commit="abc1234", proposal="2", now=now())     # 7
    work = services.log_work(session, project, ledger.ada, "1.5", "creative",
                             "Drawings", now=now())                            # 8
    services.correct(session, project, ledger.bo, 5, {"quantity": "-0.5"}, "Miscounted",
                     now=now())                                                # 9
    services.correct(session, project, ledger.ada, 1, {"unit_cost": "0.10"}, "Price rose",
                     now=now())                                                # 10
    services.correct(session, project, ledger.ada, work.seq, {"hours": "-0.25"}, "Shorter",
                     now=now())                                                # 11
    later = services.pledge(session, project, ledger.cy, 3, "2", now=now())    # 12
    services.withdraw_pledge(session, project, ledger.cy, later.seq, now=now())  # 13
    services.close_input(session, project, ledger.ada, 3, "Bought elsewhere", now=now())  # 14
    db.session.commit()
    ledger.clock.advance(days=4)
    [decision] = ledger.tick()                                                 # 15 approve #2
    assert decision.status == "passed"
    ledger.need(title='=HYPERLINK("http://evil.example")', quantity="1", unit="piece",
                unit_cost=None, currency=None, description="-2+3")             # 16


def get(ledger, name: str, **kwargs):
    response = ledger.app.test_client().get(EXPORTS + name, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def head_of(ledger) -> tuple[int, str]:
    return services.head(db.session, ledger.project)


def journal(ledger) -> list[dict]:
    return [json.loads(e.payload) for e in reversed(
        services.journal(db.session, ledger.project, limit=1000))]


def test_the_journal_as_csv_chains_to_the_head_it_names(ledger):
    seed(ledger)
    response = get(ledger, "ledger.csv")
    seq, digest = head_of(ledger)
    assert seq == 16
    assert response.mimetype == "text/csv"
    assert response.headers["Commons-Ledger-Head"] == f"{seq} {digest}"
    assert response.headers["Content-Disposition"] == 'attachment; filename="dryer-ledger.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(row["seq"]) for row in rows] == list(range(1, 17))
    previous = rules.GENESIS
    for row in rows:
        assert row["prev_hash"] == previous
        assert row["hash"] == rules.chain(row["prev_hash"], row["payload"].encode("utf-8"))
        said = json.loads(row["payload"])
        assert (said["seq"], said["action"], said["at"]) == (int(row["seq"]), row["action"],
                                                              row["at"])
        previous = row["hash"]
    assert previous == digest
    summary = {int(r["seq"]): (r["action"], r["actor"], r["input"], r["quantity"], r["unit"])
               for r in rows}
    assert summary[1] == ("need", "ada", "1", "20.000", "kg")
    assert summary[4] == ("pledge", "cy", "1", "5.000", "kg")
    assert summary[8] == ("work", "ada", "", "1.50", "hour")
    assert summary[9] == ("correct", "bo", "1", "-0.500", "kg")
    assert summary[10] == ("correct", "ada", "1", "", "")
    assert summary[11] == ("correct", "ada", "", "-0.25", "hour")
    assert summary[15] == ("approve", "", "2", "", "")


def test_the_inputs_csv_says_as_of_which_entry(ledger):
    seed(ledger)
    response = get(ledger, "inputs.csv")
    seq, digest = head_of(ledger)
    assert response.headers["Commons-Ledger-Head"] == f"{seq} {digest}"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["number"] for row in rows] == ["1", "2", "3", "4"]
    assert {(row["head_seq"], row["head_hash"]) for row in rows} == {(str(seq), digest)}
    filament, rent, cells, odd = rows
    assert (filament["needed"], filament["pledged"], filament["received"], filament["consumed"],
            filament["still_needed"], filament["unit_cost"], filament["estimated_total"],
            filament["status"], filament["needed_by"]) == \
        ("20.000", "1.000", "6.125", "1.250", "12.875", "2.60", "52.00 EUR", "approved",
         "2026-04-01")
    assert (rent["unit"], rent["status"], rent["estimated_total"], rent["approved"]) == \
        ("EUR", "approved", "150.00 EUR", "yes")
    assert (cells["status"], cells["closed"], cells["pledged"], cells["estimated_total"]) == \
        ("closed", "yes", "0", "14400 JPY")
    # What a spreadsheet would run as a formula is quoted.
    assert odd["title"] == "'=HYPERLINK(\"http://evil.example\")"
    assert odd["description"] == "'-2+3"


def test_the_json_export_chains_and_carries_balances(ledger):
    seed(ledger)
    response = get(ledger, "ledger.json")
    assert response.mimetype == "application/json"
    document = json.loads(response.get_data(as_text=True))
    seq, digest = head_of(ledger)
    assert document["project"] == "dryer"
    assert document["head"] == {"seq": seq, "hash": digest}
    previous = rules.GENESIS
    for item in document["entries"]:
        assert item["prev_hash"] == previous
        payload = rules.canonical({"project": "dryer", "seq": item["seq"], "at": item["at"],
                                   "actor": item["actor"], "action": item["action"],
                                   "data": item["data"]})
        assert item["hash"] == rules.chain(previous, payload)
        previous = item["hash"]
    assert previous == digest and len(document["entries"]) == seq
    filament = document["inputs"][0]
    assert (filament["received"], filament["pledged"], filament["unit_cost"]) == \
        ("6.125", "1.000", "2.60")  # receipt #5 corrected from 4.5 to 4
    assert filament["pledges"] == [{"seq": 4, "pledger": "cy", "quantity": "5.000",
                                    "received": "4.000", "outstanding": "1.000",
                                    "withdrawn": False, "note": "a spool"}]
    # The balances equal those the journal alone gives.
    rebuilt = services.rebuild_balances(db.session, ledger.project).inputs
    for item in document["inputs"]:
        folded = rebuilt[item["number"]]
        assert [Decimal(item[key]) for key in ("needed", "pledged", "received", "consumed")] \
            == [folded.needed, folded.pledged, folded.received, folded.consumed]
        assert item["status"] == folded.status


def test_an_entry_appended_during_a_download_is_not_in_it(ledger):
    ledger.need()
    client = ledger.app.test_client()
    for name in ("ledger.csv", "inputs.csv", "ledger.json", "ledger.jsonld"):
        seq, digest = head_of(ledger)
        pledged = services.get_input(db.session, ledger.project, 1).pledged
        response = client.get(EXPORTS + name, buffered=False)
        assert response.headers["Commons-Ledger-Head"] == f"{seq} {digest}", name
        # The head is fixed; the rows are read only now, after this append.
        services.pledge(db.session, ledger.project, ledger.cy, 1, "1", now=ledger.clock())
        db.session.commit()
        body = response.get_data(as_text=True)
        response.close()
        if name == "ledger.csv":
            rows = list(csv.DictReader(io.StringIO(body)))
            assert [row["seq"] for row in rows] == [str(n) for n in range(1, seq + 1)]
            assert rows[-1]["hash"] == digest
        elif name == "inputs.csv":
            [row] = list(csv.DictReader(io.StringIO(body)))
            assert (Decimal(row["pledged"]), row["head_seq"]) == (pledged, str(seq))
        elif name == "ledger.json":
            document = json.loads(body)
            assert [e["seq"] for e in document["entries"]] == list(range(1, seq + 1))
            assert Decimal(document["inputs"][0]["pledged"]) == pledged
        else:
            assert f"#entry-{seq + 1}" not in body and f"#entry-{seq}" in body
    assert head_of(ledger)[0] == 5


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_valueflows_jsonld_keeps_every_quantity_exactly(ledger):
    seed(ledger)
    response = get(ledger, "ledger.jsonld")
    assert response.mimetype == "application/ld+json"
    graph = Graph().parse(data=response.get_data(as_text=True), format="json-ld")
    entries = journal(ledger)
    wanted = set()
    for said in entries:
        data = said["data"]
        for key in ("quantity", "unit_cost", "hours"):
            if data.get(key) is not None:
                wanted.add((said["seq"], key, data[key]))
        for key, value in data.get("deltas", {}).items():
            wanted.add((said["seq"], key, value))
    properties = {VF.resourceQuantity: "quantity", COMMONS.estimatedUnitCost: "unit_cost",
                  VF.effortQuantity: "hours"}
    found = set()
    for node, seq in graph.subject_objects(COMMONS.seq):
        for prop, key in properties.items():
            for measure in graph.objects(node, prop):
                assert (measure, RDF.type, OM2.Measure) in graph
                value = graph.value(measure, OM2.hasNumericalValue)
                assert isinstance(value, Literal) and value.datatype == XSD.decimal
                found.add((seq.toPython(), key, str(value)))
    assert found == wanted
    assert {(s, k, Decimal(v)) for s, k, v in found} == \
        {(s, k, Decimal(v)) for s, k, v in wanted}
    decimals = [o for o in graph.objects() if isinstance(o, Literal) and o.datatype == XSD.decimal]
    assert len(decimals) == len(wanted)  # no amount anywhere else, none lost
    assert ("-0.500" in {v for _, _, v in found}) and ("2.125" in {v for _, _, v in found})


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_valueflows_jsonld_links_intents_commitments_and_events(ledger):
    seed(ledger)
    graph = Graph().parse(data=get(ledger, "ledger.jsonld").get_data(as_text=True),
                          format="json-ld")
    project = URIRef(f"{BASE}/projects/dryer")

    def types(seq):
        return set(graph.objects(entry(seq), RDF.type))

    assert {VF.Intent, COMMONS.Entry} <= types(1)
    assert graph.value(entry(1), VF.receiver) == project
    assert graph.value(entry(1), VF.due) == Literal("2026-04-01", datatype=XSD.date)
    assert graph.value(entry(1), VF.resourceClassifiedAs) == COMMONS["kind-material"]
    quantity = graph.value(entry(1), VF.resourceQuantity)
    assert graph.value(quantity, OM2.hasUnit) == OM2.kilogram
    cost = graph.value(entry(1), COMMONS.estimatedUnitCost)
    assert graph.value(cost, OM2.hasUnit) == COMMONS["currency-EUR"]
    assert graph.value(COMMONS["currency-EUR"], OM2.symbol) == Literal("EUR")
    assert graph.value(graph.value(entry(3), VF.resourceQuantity), OM2.hasUnit) == OM2.one

    assert VF.Commitment in types(4)
    assert graph.value(entry(4), VF.satisfies) == entry(1)
    assert graph.value(entry(4), VF.provider) == URIRef(f"{BASE}/users/cy")
    assert (URIRef(f"{BASE}/users/cy"), RDF.type, VF.Person) in graph

    assert VF.EconomicEvent in types(5)
    assert graph.value(entry(5), VF.action) == VF.transfer
    assert graph.value(entry(5), VF.fulfills) == entry(4)
    assert graph.value(entry(5), VF.satisfies) == entry(1)
    assert graph.value(entry(5), VF.receiver) == project
    assert graph.value(entry(5), COMMONS.evidence) == \
        URIRef("https://example.org/receipt?id=7&x=%7B1%7D")

    assert graph.value(entry(6), VF.fulfills) is None
    shop = graph.value(entry(6), VF.provider)
    assert isinstance(shop, BNode) and graph.value(shop, VF.name) == Literal("Filament shop")
    assert graph.value(entry(6), VF.hasPointInTime) == Literal("2026-02-27", datatype=XSD.date)
    stored = URIRef(f"{BASE}/projects/dryer/evidence/{'ab' * 32}")
    assert graph.value(entry(6), COMMONS.evidence) == stored
    assert graph.value(stored, COMMONS.sha256) == Literal("ab" * 32)

    assert graph.value(entry(7), VF.action) == VF.consume
    assert graph.value(entry(8), VF.action) == VF.work
    assert graph.value(entry(8), VF.provider) == URIRef(f"{BASE}/users/ada")
    assert graph.value(graph.value(entry(8), VF.effortQuantity), OM2.hasUnit) == OM2.hour

    for seq, corrected in ((9, 5), (10, 1), (11, 8)):
        assert VF.EconomicEvent in types(seq)
        assert graph.value(entry(seq), VF.corrects) == entry(corrected)
    assert graph.value(entry(9), VF.action) == VF.transfer
    assert graph.value(entry(11), VF.action) == VF.work
    assert graph.value(entry(13), COMMONS.concerns) == entry(12)
    assert graph.value(entry(15), COMMONS.decidedBy) == \
        URIRef(f"{BASE}/projects/dryer/proposals/1")

    seq, digest = head_of(ledger)
    document = URIRef(LEDGER)
    assert graph.value(document, COMMONS.headSeq).toPython() == seq
    assert graph.value(document, COMMONS.headHash) == Literal(digest)
    for number in range(1, seq + 1):
        assert graph.value(entry(number), COMMONS.hash) is not None
    assert graph.value(entry(16), COMMONS.prevHash) == graph.value(entry(15), COMMONS.hash)
    assert graph.value(entry(2), DCTERMS.creator) == URIRef(f"{BASE}/users/ada")


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_an_empty_ledger_exports_its_genesis_head(ledger):
    for name in ("ledger.csv", "inputs.csv", "ledger.json", "ledger.jsonld"):
        response = get(ledger, name)
        assert response.headers["Commons-Ledger-Head"] == f"0 {rules.GENESIS}"
        response.close()
    assert get(ledger, "ledger.csv").get_data(as_text=True).splitlines() == \
        ["seq,at,actor,action,input,quantity,unit,payload,prev_hash,hash"]
    assert json.loads(get(ledger, "ledger.json").get_data()) == {
        "project": "dryer", "head": {"seq": 0, "hash": rules.GENESIS}, "entries": [],
        "inputs": [], "funds": [], "claims": []}
    graph = Graph().parse(data=get(ledger, "ledger.jsonld").get_data(as_text=True),
                          format="json-ld")
    assert graph.value(URIRef(LEDGER), COMMONS.headSeq).toPython() == 0
    missing = ledger.app.test_client().get("/api/v1/projects/nope/ledger.csv")
    assert missing.status_code == 404 and "no project" in missing.get_json()["error"]
