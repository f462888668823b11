"""The demo's people and the files their commits write, as plain values.
The story that ties them together (who pushes, proposes and pledges when)
is told in ``commons.demo.loader``."""

from dataclasses import dataclass, field

# One password for every demo account: it is printed, so it protects nothing.
PASSWORD = "demo password"


@dataclass(frozen=True)
class Person:
    username: str
    name: str

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


PEOPLE = [
    Person("ada", "Ada Nwosu"),
    Person("bruno", "Bruno Keller"),
    Person("chiara", "Chiara Russo"),
    Person("dmitri", "Dmitri Volkov"),
    Person("elif", "Elif Demir"),
    Person("farah", "Farah Haddad"),
    Person("gus", "Gus Okafor"),
]


@dataclass(frozen=True)
class Change:
    """One commit: who wrote it, how many days ago, what it says and the
    files it writes (whole contents)."""

    author: str
    days_ago: float
    message: str
    files: dict[str, str]
    co_authors: tuple[str, ...] = field(default=())


SOLAR_DRYER = {
    "name": "Solar food dryer",
    "slug": "solar-dryer",
    "license": "CERN-OHL-S-2.0",
    "description": "A passive solar dryer for fruit, vegetables and herbs, built from "
                   "timber, twin-wall polycarbonate and stainless mesh. Dries about 2 kg "
                   "of sliced apples a sunny day.",
}

SEED_LIBRARY = {
    "name": "Seed library catalogue",
    "slug": "seed-library",
    "license": "GPL-3.0-or-later",
    "description": "The catalogue, loan cards and envelope labels of the neighbourhood "
                   "seed library: what varieties we keep, who grew them, what came back.",
}

CUT_LIST = """\
# Frame cut list

Pine, planed, 44 x 44 mm unless noted.

| part | count | length |
|---|---|---|
| collector rails | 2 | 1800 mm |
| collector cross pieces | 3 | 600 mm |
| cabinet posts | 4 | 900 mm |
| cabinet rails | 8 | 560 mm |
| tray runners (20 x 20 mm) | 10 | 500 mm |
"""

CUT_LIST_2 = CUT_LIST + """
Cut the collector rails at 30 degrees at the top end so they sit flush
against the cabinet.
"""

COLLECTOR = """\
# Air collector

Air enters at the bottom of the collector, warms under the polycarbonate
over a black-painted absorber, and rises into the drying cabinet. No fan:
the stack effect moves about 15 m3 an hour on a clear day.

- Tilt: latitude + 10 degrees, so the winter sun still counts.
- Absorber: corrugated steel sheet painted matt black.
- Glazing: 10 mm twin-wall polycarbonate, UV-protected side out.
"""

BUILD = """\
# Building it

1. Cut the frame (frame/cut-list.md).
2. Assemble the collector and glaze it.
3. Build the cabinet and fit the tray runners.
4. Stand it facing south, collector tilted as in design/collector.md.
5. Check the air leaves the top vent warm before loading trays.
"""

FAN = COLLECTOR + """
## Forced airflow (optional)

A 12 V, 120 mm fan at the top vent doubles the airflow and halves the
drying time in humid weather. It needs a 20 W panel and a small battery.
"""

FAN_WIRING = """\
# Fan wiring

20 W panel -> charge controller -> 7 Ah battery -> thermostat switch (40 C)
-> 120 mm 12 V fan (0.2 A).
"""

TRAYS = """\
# Trays

Five trays, 500 x 500 mm: hardwood frames (20 x 20 mm) with stainless
steel mesh (1.5 mm aperture) stapled on the top. Food-safe: no galvanised
mesh, no treated timber.
"""

TRAY_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="260" height="260" viewBox="0 0 520 520">
  <title>Drying tray, 500 x 500 mm</title>
  <rect x="10" y="10" width="500" height="500" fill="none" stroke="#6b4f2a" stroke-width="20"/>
  <path d="M20 60H500M20 110H500M20 160H500M20 210H500M20 260H500M20 310H500M20 360H500M20 410H500M20 460H500"
        stroke="#999" stroke-width="2"/>
</svg>
"""

SOLAR_FRAME = [
    Change("bruno", 24, "Add the frame cut list", {"frame/cut-list.md": CUT_LIST}),
    Change("chiara", 23, "Describe the air collector and how air moves through it\n\n"
           "Ada measured the airflow on the cardboard mock-up; the numbers are hers.",
           {"design/collector.md": COLLECTOR}, co_authors=("ada",)),
    Change("bruno", 22, "Add building steps; note the collector rail angle",
           {"frame/cut-list.md": CUT_LIST_2, "BUILD.md": BUILD}),
]
SOLAR_FAN = [
    Change("dmitri", 10, "Add an optional 12 V fan for humid days",
           {"design/collector.md": FAN, "electrical/fan.md": FAN_WIRING}),
]
SOLAR_TRAYS = [
    Change("chiara", 2.5, "Trays: stainless mesh in hardwood frames", {
        "trays/README.md": TRAYS,
        "BUILD.md": BUILD.replace("fit the tray runners.",
                                  "fit the tray runners; make the trays (trays/README.md)."),
    }),
    Change("elif", 2.2, "Add the tray drawing", {"trays/tray.svg": TRAY_SVG}),
]

# Gus is not a member of the solar dryer: he proposes this from outside,
# as `git push <url> HEAD:refs/for/main` does.
MAINTENANCE = """\
# Looking after the dryer

- Before each season: tighten the frame screws, check the glazing seals.
- After each batch: brush the trays, wash them in warm water, dry in the sun.
- Every year: repaint the absorber if the black has faded to grey.
"""

SOLAR_OUTSIDE = Change(
    "gus", 0.8, "Add a maintenance checklist\n\n"
    "We built one from your plans at the allotment; this is what we learnt keeping it "
    "working through a season.", {"MAINTENANCE.md": MAINTENANCE})

SCHEMA = """\
-- The seed library catalogue. SQLite or PostgreSQL.
CREATE TABLE variety (
    id integer PRIMARY KEY,
    crop text NOT NULL,          -- tomato, bean, ...
    name text NOT NULL,          -- 'Cuor di bue'
    grown_by text,               -- who saved the seed
    saved_in integer             -- year
);
CREATE TABLE loan (
    id integer PRIMARY KEY,
    variety_id integer NOT NULL REFERENCES variety(id),
    borrower text NOT NULL,      -- a name on the paper card
    lent_on date NOT NULL,
    returned_on date             -- seed brought back after the harvest
);
"""

SCHEMA_2 = SCHEMA.replace(
    "    returned_on date             -- seed brought back after the harvest\n",
    "    returned_on date,            -- seed brought back after the harvest\n"
    "    returned_grams integer\n")

VARIETIES = """\
crop,name,grown_by,saved_in
tomato,Cuor di bue,Farah,2023
tomato,Green Zebra,Gus,2023
bean,Borlotto di Vigevano,Elif,2023
bean,Cherokee Trail of Tears,Gus,2022
lettuce,Merveille des quatre saisons,Farah,2023
squash,Butternut Waltham,Bruno,2022
"""

VARIETIES_2 = VARIETIES + """\
pepper,Corno di toro,Elif,2023
pea,Kelvedon Wonder,Farah,2023
"""

ENVELOPE = """\
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="180" viewBox="0 0 300 180">
  <title>Seed envelope label</title>
  <rect x="4" y="4" width="292" height="172" rx="8" fill="#fffbe8" stroke="#2f5d2f" stroke-width="3"/>
  <text x="20" y="40" font-family="sans-serif" font-size="20" fill="#2f5d2f">{crop}: {name}</text>
  <text x="20" y="80" font-family="sans-serif" font-size="14">Grown by {grown_by}, {saved_in}</text>
  <text x="20" y="150" font-family="sans-serif" font-size="12">Bring back a handful after the harvest.</text>
</svg>
"""

ENVELOPE_ES = ENVELOPE.replace("Seed envelope label", "Etiqueta de sobre de semillas") \
    .replace("Grown by", "Cultivada por") \
    .replace("Bring back a handful after the harvest.",
             "Devuelve un puñado después de la cosecha.")

SEED_MAIN = [
    # (who pushes, the commits the push brings)
    ("gus", [
        Change("farah", 27, "Catalogue schema: varieties and loans",
               {"catalogue/schema.sql": SCHEMA}),
        Change("gus", 26, "Import the 2023 paper catalogue",
               {"catalogue/varieties.csv": VARIETIES}),
    ]),
    ("elif", [
        Change("elif", 20, "Envelope label template",
               {"labels/envelope.svg": ENVELOPE}, co_authors=("farah",)),
        Change("farah", 19, "Record how many grams come back with a loan",
               {"catalogue/schema.sql": SCHEMA_2}),
    ]),
    ("gus", [
        Change("gus", 6, "Add the peppers and peas saved last autumn",
               {"catalogue/varieties.csv": VARIETIES_2}),
    ]),
]
SEED_SPANISH = [
    Change("bruno", 1.2, "Spanish envelope labels", {"labels/envelope.es.svg": ENVELOPE_ES}),
]
