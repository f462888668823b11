"""A generated ledger journal for the benchmark: entries built with the pure
rules (``rules.document``, ``canonical``, ``chain``) in exactly the shapes
the services write, each operation one the services would accept, then
bulk-inserted. The balance tables are folded from the stored journal with
``services.rebuild_balances``, as ``ledger verify`` folds them."""

import heapq
import random
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from commons.extensions import db
from commons.ledger import rules, services
from commons.ledger.models import Fund, Input, LedgerEntry, LedgerHead, Pledge, WorkLog

ZERO = Decimal(0)
THINGS = ["PLA filament", "PETG filament", "plywood 12 mm", "aluminium profile 20x20",
          "stainless screws M4", "solar cell 6x6 in", "copper wire", "epoxy resin", "glass sheet",
          "rivets", "kiln time", "workshop space", "soldering iron", "multimeter", "servo motor",
          "Arduino board", "thermal paste", "insulation foam", "rope", "tarpaulin", "paint",
          "brushes", "sandpaper", "drill bits", "battery 18650", "charge controller",
          "LED strip", "hinges", "wood glue", "translation", "testing", "bookkeeping"]
# (kind, unit, unit cost range in EUR or None)
SHAPES = [("material", "kg", (2, 40)), ("material", "piece", (1, 30)), ("material", "m", (1, 9)),
          ("material", "l", (3, 20)), ("equipment", "piece", (20, 300)), ("energy", "kWh", (1, 1)),
          ("space", "day", (15, 60)), ("service", "hour", (20, 60)), ("labour", "hour", None),
          ("money", "EUR", None), ("money", "JPY", None), ("money", "BHD", None)]


def amount(rng: random.Random, low: float, high: float, places: int) -> Decimal:
    """A random amount with exactly *places* decimals, as the services quantise."""
    step = 10 ** places
    return Decimal(rng.randint(max(1, int(low * step)), int(high * step))).scaleb(-places)


class Journal:
    """Builds one project's journal entry by entry, keeping just enough of
    the balances to choose operations the services would accept."""

    def __init__(self, project, members: list[tuple[int, str]], people: list[tuple[int, str]],
                 start: datetime, seed: int):
        self.project, self.members, self.people = project, members, people
        self.rng = random.Random(seed)
        self.at, self.seq, self.previous, self.inputs = start, 0, rules.GENESIS, 0
        self.rows: list[tuple] = []
        self.needs: dict[int, dict] = {}          # number -> needed, received, ..., unit
        self.open: list[int] = []                 # inputs still open
        self.pledges: dict[int, list] = {}        # seq -> [input, who, quantity, received, withdrawn]
        self.live: dict[int, list[int]] = defaultdict(list)  # input -> pledges to deliver
        self.stocked: list[int] = []              # inputs with something left to use
        self.worked: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.hours: dict[int, Decimal] = {}       # work seq -> hours, corrections included
        self.unconfirmed: list[tuple[int, str]] = []  # (work seq, worker) nobody confirmed
        self.current: dict[int, Decimal] = {}     # receipt or use seq -> amount, likewise
        self.recent: deque = deque(maxlen=20000)  # correctable (seq, action, data)
        self.due: list[tuple[int, str, int]] = []  # (at seq, "approve"/"close", input)
        self.proposals = 0
        self.counts: dict[str, int] = defaultdict(int)

    # -- writing

    def append(self, actor: tuple[int, str] | None, action: str, data: dict,
               number: int | None) -> int:
        self.seq += 1
        self.at += timedelta(seconds=self.rng.randint(1, 180), microseconds=self.rng.randint(0, 999999))
        if action == "work_confirm":  # confirmed at the entry's own time
            data["at"] = rules.timestamp(self.at)
        payload = rules.canonical(rules.document(self.project.slug, self.seq, self.at,
                                                 actor[1] if actor else None, action, data))
        digest = rules.chain(self.previous, payload)
        self.rows.append((self.project.id, self.seq, self.at, actor[0] if actor else None, action,
                          number, payload.decode("utf-8"), self.previous, digest))
        self.previous = digest
        self.counts[action if action != "correct" else "correct " + data["action"]] += 1
        if action in rules.CORRECTABLE:
            self.recent.append((self.seq, action, data))
        return self.seq

    def still_needed(self, n: int) -> Decimal:
        need = self.needs[n]
        return max(need["needed"] - need["received"] - need["outstanding"], ZERO)

    def _outstanding(self, p: list) -> Decimal:
        return ZERO if p[4] else max(p[2] - p[3], ZERO)

    def _pledge_change(self, seq: int, quantity=ZERO, received=ZERO, withdrawn=False) -> None:
        p = self.pledges[seq]
        before = self._outstanding(p)
        p[2] += quantity
        p[3] += received
        p[4] = p[4] or withdrawn
        self.needs[p[0]]["outstanding"] += self._outstanding(p) - before

    # -- operations, each checked as the service checks it

    def need(self) -> None:
        kind, unit, costs = self.rng.choice(SHAPES)
        places = rules.decimals_of(unit)
        needed = amount(self.rng, 300, 3000, places) if unit not in ("EUR", "JPY", "BHD") else \
            amount(self.rng, 200, 20000, places)
        unit_cost = currency = None
        if costs is not None:
            unit_cost, currency = amount(self.rng, costs[0] / 10, costs[1] / 10, 2), "EUR"
        estimate = rules.estimated_total(needed, unit, unit_cost, currency)
        pending = rules.needs_proposal(estimate, self.project.approval_amount,
                                       self.project.approval_currency)
        self.inputs += 1
        n = self.inputs
        title = self.rng.choice(THINGS) + self.rng.choice(["", "", "", " (spare)", " for the kiln"])
        data = {"input": n, "title": title, "kind": kind, "quantity": rules.text(needed),
                "unit": unit, "unit_cost": rules.text(unit_cost) if unit_cost is not None else None,
                "currency": currency,
                "needed_by": (self.at + timedelta(days=self.rng.randint(10, 400))).date().isoformat()
                if self.rng.random() < 0.6 else None,
                "description": f"For batch {n % 97}.", "approval": "pending" if pending else "approved"}
        self.append(self.rng.choice(self.members), "need", data, n)
        self.needs[n] = {"needed": needed, "received": ZERO, "consumed": ZERO, "outstanding": ZERO,
                         "unit": unit, "places": places, "unit_cost": unit_cost,
                         "currency": currency, "approved": not pending}
        self.open.append(n)
        if pending:
            heapq.heappush(self.due, (self.seq + self.rng.randint(50, 3000), "approve", n))
        if self.rng.random() < 0.03:
            heapq.heappush(self.due, (self.seq + self.rng.randint(2000, 100000), "close", n))

    def carry_out_due(self) -> bool:
        if not self.due or self.due[0][0] > self.seq:
            return False
        _, what, n = heapq.heappop(self.due)
        if n not in self.open:
            return False
        if what == "approve":
            if self.needs[n]["approved"]:  # a correction approved it meanwhile
                return False
            self.proposals += 1
            self.append(None, "approve", {"input": n, "proposal": self.proposals}, n)
            self.needs[n]["approved"] = True
        else:
            self.append(self.rng.choice(self.members), "close",
                        {"input": n, "reason": "Found elsewhere."}, n)
            self.open.remove(n)
        return True

    def pledge(self) -> bool:
        n = self.rng.choice(self.open)
        left = self.still_needed(n)
        places = self.needs[n]["places"]
        if left < Decimal(1):
            return False
        quantity = min(amount(self.rng, 1, 6, places), left)
        who = self.rng.choice(self.people)
        seq = self.append(who, "pledge", {"input": n, "quantity": rules.text(quantity),
                                          "note": self.rng.choice(["", "", "from my shed"]),
                                          "pledger": who[1]}, n)
        self.pledges[seq] = [n, who, quantity, ZERO, False]
        self.needs[n]["outstanding"] += quantity
        self.live[n].append(seq)
        return True

    def receipt(self) -> bool:
        n = self.rng.choice(self.open)
        need, live = self.needs[n], self.live[n]
        against = None
        while live and self.rng.random() < 0.8:
            seq = live[self.rng.randrange(len(live))]
            p = self.pledges[seq]
            if p[4] or p[3] >= p[2]:
                live.remove(seq)
                continue
            against = seq
            break
        if against is not None:
            p = self.pledges[against]
            quantity = p[2] - p[3]
            provider, provider_user = p[1][1], p[1][1]
        else:
            quantity = amount(self.rng, 1, 5, need["places"])
            provider, provider_user = self.rng.choice(
                [(f"Shop {self.rng.randint(1, 40)}", None), (f"Shop {self.rng.randint(1, 40)}", None),
                 (self.rng.choice(self.people)[1],) * 2])
        evidence = None
        url = f"https://example.org/receipts/{self.seq + 1}.pdf" if self.rng.random() < 0.6 else None
        if url is None and self.rng.random() < 0.5:
            evidence = {"sha256": f"{self.rng.getrandbits(256):064x}", "size": self.rng.randint(
                2000, 900000), "name": "receipt.jpg", "type": "image/jpeg"}
        data = {"input": n, "quantity": rules.text(quantity), "provider": provider,
                "provider_user": provider_user, "date": self.at.date().isoformat(),
                "evidence_url": url, "evidence": evidence, "pledge": against}
        self.current[self.append(self.rng.choice(self.members), "receipt", data, n)] = quantity
        need["received"] += quantity
        if against is not None:
            self._pledge_change(against, received=quantity)
        self.stocked.append(n)
        return True

    def consume(self) -> bool:
        while self.stocked:
            n = self.stocked[self.rng.randrange(len(self.stocked))]
            need = self.needs[n]
            available = need["received"] - need["consumed"]
            if available <= 0:
                self.stocked.remove(n)
                continue
            quantity = min(amount(self.rng, 0, 4, need["places"]) or available, available)
            data = {"input": n, "quantity": rules.text(quantity),
                    "purpose": self.rng.choice(["prototype 3", "workshop", "repairs", "batch run"]),
                    "commit": f"{self.rng.getrandbits(160):040x}" if self.rng.random() < 0.2 else None,
                    "proposal": None, "date": self.at.date().isoformat()}
            self.current[self.append(self.rng.choice(self.members), "consume", data, n)] = quantity
            need["consumed"] += quantity
            return True
        return False

    def withdraw(self) -> bool:
        n = self.rng.choice(self.open)
        for seq in self.live[n]:
            p = self.pledges[seq]
            if not p[4] and p[3] < p[2]:
                self.append(p[1], "withdraw", {"input": n, "pledge": seq}, n)
                self._pledge_change(seq, withdrawn=True)
                self.live[n].remove(seq)
                return True
        return False

    def work(self) -> bool:
        who = self.rng.choice(self.members)
        day = self.at.date().isoformat()
        hours = amount(self.rng, 0.25, 6, 2)
        if self.worked[who[1], day] + hours > rules.MAX_HOURS_PER_DAY:
            return False
        self.worked[who[1], day] += hours
        seq = self.append(who, "work", {"worker": who[1], "hours": rules.text(hours),
                                        "category": self.rng.choice(list(rules.WORK_CATEGORIES)),
                                        "description": "Sorting the shelves.", "date": day}, None)
        self.hours[seq] = hours
        self.unconfirmed.append((seq, who[1]))
        return True

    def confirm(self) -> bool:
        """Another member confirms a work entry nobody confirmed (issue 20);
        a later correction of its hours clears it, as the fold says."""
        if not self.unconfirmed:
            return False
        index = self.rng.randrange(len(self.unconfirmed))
        self.unconfirmed[index], self.unconfirmed[-1] = self.unconfirmed[-1], self.unconfirmed[index]
        seq, worker = self.unconfirmed.pop()
        others = [member for member in self.members if member[1] != worker]
        if not others:
            return False
        who = self.rng.choice(others)
        self.append(who, "work_confirm", {"work": seq, "worker": worker, "confirmer": who[1]},
                    None)
        return True

    def correct(self) -> bool:
        if not self.recent:
            return False
        seq, action, said = self.recent[self.rng.randrange(len(self.recent))]
        data = {"corrects": seq, "action": action, "reason": "Miscounted.", "deltas": {}}
        who = self.rng.choice(self.members)
        if action == "work":
            hours = self.rng.choice([Decimal("-0.25"), Decimal("-0.50"), Decimal("0.25")])
            key = (said["worker"], said["date"])
            if self.hours[seq] + hours < 0 or self.worked[key] + hours > rules.MAX_HOURS_PER_DAY:
                return False
            self.worked[key] += hours
            self.hours[seq] += hours
            data.update(deltas={"hours": rules.text(hours)}, worker=said["worker"], date=said["date"])
            self.append(who, "correct", data, None)
            return True
        n = said["input"]
        need = self.needs[n]
        step = Decimal(1).scaleb(-need["places"])
        change = step * self.rng.choice([-2, -1, 1, 3])
        data.update(input=n, deltas={"quantity": rules.text(change)})
        if action == "need":
            if need["needed"] + change <= 0:
                return False
            estimate = rules.estimated_total(need["needed"] + change, need["unit"],
                                             need["unit_cost"], need["currency"])
            pending = rules.needs_proposal(estimate, self.project.approval_amount,
                                           self.project.approval_currency)
            if pending and need["approved"]:
                data["approval"] = "pending"
            elif not pending and not need["approved"]:
                data["approval"] = "approved"
            need["needed"] += change
            if data.get("approval") == "pending":  # governance asks again, and it passes
                need["approved"] = False
                heapq.heappush(self.due, (self.seq + self.rng.randint(50, 3000), "approve", n))
            elif data.get("approval") == "approved":
                need["approved"] = True
        elif action == "pledge":
            p = self.pledges[seq]
            if p[2] + change < 0 or change > self.still_needed(n):
                return False
            self._pledge_change(seq, quantity=change)
        elif action == "receipt":
            p = self.pledges.get(said["pledge"]) if said["pledge"] is not None else None
            if need["received"] + change < need["consumed"] or \
                    self.current[seq] + change < 0 or (p and p[3] + change < 0):
                return False
            self.current[seq] += change
            if p:
                data["pledge"] = said["pledge"]
                self._pledge_change(said["pledge"], received=change)
            need["received"] += change
        elif action == "consume":
            if not (0 <= need["consumed"] + change <= need["received"]) or \
                    self.current[seq] + change < 0:
                return False
            self.current[seq] += change
            need["consumed"] += change
        self.append(who, "correct", data, n)
        return True

    def fill(self, entries: int, inputs: int, write, batch: int = 50000) -> None:
        """Append until there are *entries*: *inputs* needs spread over the
        journal, the rest a realistic mix, written *batch* rows at a time."""
        mix = [self.pledge] * 30 + [self.receipt] * 28 + [self.consume] * 18 + \
            [self.work] * 15 + [self.withdraw] * 2 + [self.correct] * 4
        every = max(1, entries // inputs)
        while self.seq < entries:
            if self.inputs < inputs and (self.inputs < 20 or self.seq % every == 0):
                self.need()
            elif not self.carry_out_due():
                self.rng.choice(mix)()
            if len(self.rows) >= batch:
                write(self.rows)
                self.rows = []
        write(self.rows)
        self.rows = []


def write_entries(rows: list[tuple]) -> None:
    """Bulk-insert journal rows: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    connection = db.session.connection()
    columns = "project_id, seq, at, actor_id, action, input_number, payload, prev_hash, hash"
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY ledger_entries ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        # As SQLAlchemy's DateTime stores times on SQLite: naive UTC, microseconds.
        connection.exec_driver_sql(
            f"INSERT INTO ledger_entries ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row[:2], row[2].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), *row[3:])
             for row in rows])
    db.session.commit()


def store_balances(project, journal: Journal, people: dict[str, int]) -> None:
    """The balance tables from the stored journal alone, and the head."""
    balances = services.rebuild_balances(db.session, project)
    now = journal.at
    rows = []
    for need in balances.inputs.values():
        rows.append(dict(
            project_id=project.id, number=need.number, seq=need.seq, title=need.title,
            kind=need.kind, resource=rules.resource_key(need.kind, need.title), unit=need.unit,
            needed=need.needed, unit_cost=need.unit_cost, currency=need.currency,
            needed_by=datetime.fromisoformat(need.needed_by).date() if need.needed_by else None,
            description=need.description, approved=need.approved, closed=need.closed,
            received=need.received, consumed=need.consumed, pledged=need.pledged,
            status=need.status, still_needed=need.still_needed, updated_at=now))
    db.session.execute(sa.insert(Input), rows)
    ids = dict(db.session.execute(sa.select(Input.number, Input.id)
                                  .where(Input.project_id == project.id)).all())
    pledges = [dict(project_id=project.id, input_id=ids[need.number], seq=p.seq,
                    pledger_id=people[p.pledger], quantity=p.quantity, received=p.received,
                    withdrawn=p.withdrawn, note=p.note)
               for need in balances.inputs.values() for p in need.pledges.values()]
    for start in range(0, len(pledges), 20000):
        db.session.execute(sa.insert(Pledge), pledges[start:start + 20000])
    work = [dict(project_id=project.id, seq=w.seq, user_id=people[w.worker],
                 date=datetime.fromisoformat(w.date).date(), hours=w.hours, category=w.category,
                 description=w.description, onerous=w.onerous,
                 confirmed_by_id=people[w.confirmed_by] if w.confirmed_by else None,
                 confirmed_seq=w.confirmed_seq,
                 confirmed_at=datetime.fromisoformat(w.confirmed_at) if w.confirmed_at else None)
            for w in balances.work.values()]
    for start in range(0, len(work), 20000):
        db.session.execute(sa.insert(WorkLog), work[start:start + 20000])
    # Money received is the project's funds (issue 20): one row per currency.
    funds = [dict(project_id=project.id, currency=currency, received=fund.received,
                  paid=fund.paid) for currency, fund in sorted(balances.funds.items())]
    if funds:
        db.session.execute(sa.insert(Fund), funds)
    # merge: a reindex before (bench/contributors.py) held the journal, which
    # leaves a head row at seq 0.
    db.session.merge(LedgerHead(project_id=project.id, seq=journal.seq, hash=journal.previous,
                                inputs=journal.inputs))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.project_id == project.id)) == journal.seq
