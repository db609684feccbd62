#!/usr/bin/env python3
"""Build assetmap's bundled default dataset for Trafford.

Reads only ``data/sources/`` (copies of Trafford Data Lab open data, see data/README.md) and
writes ``data/trafford/assets.geojson``: one GeoJSON Feature per record of
``derived/trafford_community_assets_combined.csv`` (in CSV order), whose ``properties`` are an
assetmap ``AssetDraft``. Each combined record is joined back to its raw source record (the id
suffix is the 0-based record index in the raw file; checked by name and coordinates) to bring in
opening times, ages, descriptions and contact details that the combined file dropped.

Standard library only, deterministic (same bytes every run).

    python3 data/build_dataset.py          # rebuild and print a summary
    python3 data/build_dataset.py --check  # exit 1 if data/trafford/assets.geojson is stale
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent
SRC = DATA / "sources" / "trafford"
OUT = DATA / "trafford" / "assets.geojson"
COMBINED = SRC / "derived" / "trafford_community_assets_combined.csv"

OGL_STATEMENT = "Contains public sector information licensed under the Open Government Licence v3.0"

# Attribution statements from the per-dataset READMEs in sources/trafford/licences/, used when
# the combined CSV has none. A README without a statement falls back to the OGL default wording
# (OGL v3: "If the Information Provider does not provide a specific attribution statement, you
# must use the following: Contains public sector information licensed under the Open Government
# Licence v3.0.").
README_ATTRIBUTION = {
    "charities_operating_in_trafford.csv": OGL_STATEMENT,  # README: none given
    "sports_facilities.csv": "Contains Data © Sport England",
    "trafford_childrens_centres.csv": OGL_STATEMENT,  # README: none given
    "trafford_defibrillators.csv": OGL_STATEMENT,  # README: none given
    "trafford_food_banks.geojson": OGL_STATEMENT,  # README: none given
    "trafford_general_practices.csv": OGL_STATEMENT,  # README: none given
    "trafford_jobcentreplus.csv": OGL_STATEMENT
    + " and OS data © Crown copyright and database right 2019",
    "trafford_libraries.csv": "Trafford Council",
    "trafford_pharmacies.geojson": OGL_STATEMENT,  # README: none given
    "trafford_schools_and_colleges.csv": OGL_STATEMENT,  # README: none given
}

# ---------------------------------------------------------------------------------------------
# Category mapping (documented in data/README.md).

BASE_CATEGORIES = {
    # (combined category, subcategory or None for any) -> categories
    ("green space", "allotment"): ["green_space_nature"],
    ("green space", "Public Park Or Garden"): ["green_space_nature"],
    ("green space", "Allotments Or Community Growing Spaces"): ["green_space_nature"],
    ("green space", "Cemetery"): ["green_space_nature"],
    ("green space", "Religious Grounds"): ["green_space_nature", "faith"],
    ("green space", "Play Space"): ["green_space_nature", "children_families"],
    ("green space", "Playing Field"): ["green_space_nature", "physical_activity_sport"],
    ("green space", "Bowling Green"): ["green_space_nature", "physical_activity_sport"],
    ("green space", "Tennis Court"): ["green_space_nature", "physical_activity_sport"],
    ("green space", "Golf Course"): ["green_space_nature", "physical_activity_sport"],
    ("green space", "Other Sports Facility"): ["green_space_nature", "physical_activity_sport"],
    ("sport & physical activity", None): ["physical_activity_sport"],
    ("health", None): ["health_services"],
    ("voluntary & community sector", None): ["community_groups"],  # + themes from activities
    ("faith", None): ["faith"],
    ("education", None): ["learning"],  # + children_families for schools admitting under-16s
    ("social care", None): ["care_support"],
    ("mental health & wellbeing", None): ["mental_wellbeing"],  # + themes from description
    ("library", None): ["learning"],
    ("food", None): ["food"],
    ("public services", None): ["public_services"],
    ("family support", None): ["children_families"],
    ("employment & benefits", None): ["volunteering_work", "advice_money", "public_services"],
    ("economy", "post office"): ["advice_money"],
}

# Extra themes for charities (name + activities) and mental-health services (description),
# found by whole-word matches. The matched words also become tags.
THEME_WORDS = {
    "faith": r"church(?:es)?|chapel|parish(?:es)?|baptist|methodist|catholic|anglican|christian|"
    r"mosque|islamic|muslim|synagogue|jewish|temple|gurdwara|sikh|hindu|buddhist|worship|quaker|"
    r"congregation|diocese|gospel|religion|religious",
    "children_families": r"children|child|young people|youth|famil(?:y|ies)|parents|scouts?|"
    r"guides|brownies|cubs|playgroups?|pre-?school",
    "physical_activity_sport": r"sports?|football|cricket|rugby|tennis|bowling|bowls|golf|swimming|"
    r"athletics|gymnastics|hockey|netball|lacrosse|rowing|sailing|cycling|boxing|dance|dancing|"
    r"fitness|exercise|martial arts",
    "arts_heritage": r"arts?|music|musical|theatre|drama|choir|choral|orchestra|heritage|history|"
    r"historic|museum|painting|crafts?|opera|culture|cultural",
    "learning": r"education|educational|learning(?! disabilit)|school|college|training|library|libraries|"
    r"literacy|scholarships?|students?|courses?",
    "health_services": r"hospitals?|hospice|medical|patients|nhs|clinic",
    "mental_wellbeing": r"mental health|wellbeing|well-being|counselling|depression|anxiety|"
    r"bereavement|bereaved|therapy|therapies",
    "carers": r"carers?|respite",
    "care_support": r"disabled|disability|disabilities|elderly|older people|nursing|dementia|"
    r"almshouses?|sheltered|supported living|advocacy",
    "food": r"food|meals?|foodbank|breakfast|cooking",
    "advice_money": r"advice|debt|poverty|hardship|financial|welfare rights|credit union|signposting",
    "befriending": r"befriending|lonely|loneliness|isolation|isolated|social club|luncheon club|"
    r"friendship",
    "green_space_nature": r"gardens|gardening|allotments?|wildlife|environmental|conservation|"
    r"trees|woodland|green space|nature reserve",
    "volunteering_work": r"volunteering|employment|employability|unemployed|jobs?|apprenticeships?",
}
THEME_RES = {cat: re.compile(r"\b(" + pat + r")\b", re.I) for cat, pat in THEME_WORDS.items()}

VOCAB_CATEGORIES = {
    "arts_heritage", "befriending", "green_space_nature", "physical_activity_sport", "advice_money",
    "food", "mental_wellbeing", "carers", "learning", "faith", "health_services",
    "volunteering_work", "children_families", "care_support", "community_groups",
    "public_services",
}
VOCAB_ACCESS = {
    "step_free", "accessible_toilet", "changing_places", "hearing_loop", "parking",
    "accessible_parking", "dementia_friendly", "autism_friendly", "quiet_space", "bsl",
    "public_transport",
}
VOCAB_ABCD = {"association", "institution", "physical_space", "economy", "culture"}

SPORT_FACILITY_TAGS = {
    "Artificial grass pitches": ["artificial grass pitch"],
    "Athletics": ["athletics"],
    "Golf": ["golf"],
    "Grass pitches": ["grass pitch"],
    "Health and fitness gym stations": ["gym"],
    "Ice rinks": ["ice rink", "ice skating"],
    "Indoor tennis courts": ["tennis court", "tennis", "indoor tennis"],
    "Outdoor tennis courts": ["tennis court", "tennis"],
    "Ski slopes": ["ski slope", "skiing"],
    "Sports halls": ["sports hall"],
    "Squash courts": ["squash court", "squash"],
    "Studios": ["studio"],
    "Swimming pools": ["swimming pool", "swimming"],
}
SPORT_ACCESS_COST = {"Free Public Access": "free", "Pay and Play": "paid"}

GREENSPACE_TAGS = {
    "Public Park Or Garden": ["park", "public park or garden"],
    "Allotments Or Community Growing Spaces": ["allotment", "community growing space"],
    "Cemetery": ["cemetery"],
    "Religious Grounds": ["religious grounds"],
    "Play Space": ["play space"],
    "Playing Field": ["playing field"],
    "Bowling Green": ["bowling green", "bowls"],
    "Tennis Court": ["tennis court", "tennis"],
    "Golf Course": ["golf course", "golf"],
    "Other Sports Facility": ["sports facility"],
}

WORSHIP_WORDS = re.compile(
    r"\b(church|chapel|mosque|masjid|synagogue|temple|gurdwara|kingdom hall|meeting house|"
    r"cathedral|mission|tabernacle|citadel)\b",
    re.I,
)
SCHOOL_NAME_WORDS = re.compile(
    r"\b(primary|infant|junior|high school|grammar|nursery|college|academy|sixth form|"
    r"preparatory|prep school)\b",
    re.I,
)
SCHOOL_TYPE_SINGULAR = {
    "Local authority maintained schools": "Local authority maintained school",
    "Academies": "Academy",
    "Independent schools": "Independent school",
    "Special schools": "Special school",
    "Free Schools": "Free school",
    "Colleges": "College",
    "Other types": "Other type of establishment",
}

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PHARMACY_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# ---------------------------------------------------------------------------------------------
# Validators mirroring crates/assetmap-core/src/values.rs and schedule.rs.


def norm_postcode(s: str) -> str | None:
    compact = re.sub(r"\s+", "", s).upper()
    if not (5 <= len(compact) <= 7) or not compact.isascii():
        return None
    outward, inward = compact[:-3], compact[-3:]
    if not (inward[0].isdigit() and inward[1].isalpha() and inward[2].isalpha()):
        return None
    if not (outward[0].isalpha() and outward.isalnum() and any(c.isdigit() for c in outward)):
        return None
    return f"{outward} {inward}"


def phone_valid(t: str) -> bool:
    digits = sum(c.isdigit() for c in t)
    return all(c.isdigit() or c in "+ ()-" for c in t) and 6 <= digits <= 15


def email_valid(t: str) -> bool:
    if "@" not in t or len(t) > 254 or any(c.isspace() for c in t):
        return False
    local, domain = t.split("@", 1)
    return bool(local) and "." in domain and not domain.startswith(".") and not domain.endswith(".") and "@" not in domain


KNOWN_TLDS = {
    "uk", "com", "org", "net", "info", "co", "club", "church", "io", "me", "biz", "eu", "london",
    "online", "site", "website", "life", "community", "foundation", "charity", "ngo", "org.uk",
    "church", "world", "global", "scot", "wales", "events", "today", "studio", "academy",
}


def website_valid(full: str) -> bool:
    rest = full.split("://", 1)[1] if full.startswith(("http://", "https://")) else None
    if not rest or any(c.isspace() for c in full):
        return False
    host = rest.split("/")[0]
    return "." in host


# ---------------------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.c: Counter = Counter()
        self.dropped: Counter = Counter()
        self.repaired: Counter = Counter()


def is_na(v) -> bool:
    return v is None or (isinstance(v, str) and v.strip() in ("", "NA", "N/A", "Not known"))


def clean(v) -> str | None:
    if is_na(v):
        return None
    return re.sub(r"\s+", " ", str(v).replace("\xa0", " ")).strip() or None


def take_phone(raw, st: Stats, where: str) -> str | None:
    v = clean(raw)
    if v is None:
        return None
    digits = re.sub(r"\D", "", v)
    # CQC files store numbers as integers, losing the leading 0 (1617486414 -> 01617486414).
    if where in ("trafford_care_homes.csv", "trafford_dentists.csv") and re.fullmatch(r"[1-9]\d{9}", v):
        st.repaired["phone: leading 0 restored (CQC)"] += 1
        v = "0" + v
        digits = "0" + digits
    if not phone_valid(v):
        st.dropped["phone: fails validator"] += 1
        return None
    if set(digits) == {"0"}:
        st.dropped["phone: placeholder (all zeros)"] += 1
        return None
    if digits.startswith("0") and not digits.startswith("00") and len(digits) > 11:
        st.dropped["phone: too many digits for a UK number"] += 1
        return None
    return v


def take_email(raw, st: Stats) -> str | None:
    v = clean(raw)
    if v is None:
        return None
    if not email_valid(v):
        st.dropped["email: fails validator"] += 1
        return None
    return v


def take_website(raw, st: Stats) -> str | None:
    v = clean(raw)
    if v is None:
        return None
    low = v.lower()
    if low.startswith("www."):
        v = "https://www." + v[4:]
    elif low.startswith(("http://", "https://")):
        scheme, rest = v.split("://", 1)
        v = scheme.lower() + "://" + rest
    else:
        # A bare domain such as "rslc.org.uk": add a scheme if it ends in a real top-level domain.
        host = v.split("/")[0]
        tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
        if tld in KNOWN_TLDS and re.fullmatch(r"[A-Za-z0-9.-]+", host):
            st.repaired["website: https:// added to bare domain"] += 1
            v = "https://" + v
        else:
            st.dropped["website: not a web address"] += 1
            return None
    if not website_valid(v):
        st.dropped["website: fails validator"] += 1
        return None
    return v


def sentence(s: str) -> str:
    s = s.strip()
    return s if s.endswith((".", "!", "?")) else s + "."


# ---------------------------------------------------------------------------------------------
# Time parsing


def hm(h: int, m: int) -> str:
    return f"{h:02d}:{m:02d}"


def parse_pharmacy_day(value: str, day: str, st: Stats) -> list[dict]:
    v = (value or "").strip().upper()
    if v in ("", "NA", "CLOSED"):
        return []
    if v in ("24 HOURS", "24HRS", "24 HRS", "OPEN 24 HOURS"):
        return [{"day": day, "opens": "00:00", "closes": "24:00"}]
    out = []
    for part in v.split(","):
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", part)
        if not m:
            st.dropped["opening period: unparsed"] += 1
            continue
        oh, om, ch, cm = map(int, m.groups())
        if oh == 24 and om == 0:
            oh = 0  # "24:00" as an opening time means midnight
        if ch > 24 or cm > 59 or oh > 23 or om > 59 or (ch == 24 and cm != 0):
            st.dropped["opening period: bad time"] += 1
            continue
        opens, closes = hm(oh, om), hm(ch, cm)
        if opens == closes:
            if opens == "00:00":  # 00:00-00:00 is open all day
                closes = "24:00"
            else:
                st.dropped["opening period: opens equals closes"] += 1
                continue
        # closes earlier than opens runs past midnight, which the model supports as is
        out.append({"day": day, "opens": opens, "closes": closes})
    return out


TIME_RE = r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|noon)?"


def to_24(h: int, m: int, suffix: str | None) -> tuple[int, int]:
    if suffix == "noon":
        return 12, m
    if suffix == "pm" and h != 12:
        return h + 12, m
    if suffix == "am" and h == 12:
        return 0, m
    return h, m


def parse_free_times(text: str, st: Stats) -> list[dict]:
    """Parses e.g. 'Tues 11am - 2pm, Fri 11.30am -1.30pm' or 'Friday 2 - 4.30pm'."""
    out = []
    for seg in text.split(","):
        m = re.fullmatch(
            r"\s*([A-Za-z]+)\s+" + TIME_RE + r"\s*-\s*" + TIME_RE + r"\s*", seg.strip().lower()
        )
        if not m or m.group(1)[:3] not in DAYS:
            st.dropped["opening period: unparsed"] += 1
            continue
        day = m.group(1)[:3]
        h1, m1, s1, h2, m2, s2 = m.groups()[1:]
        m1, m2 = int(m1 or 0), int(m2 or 0)
        eh, em = to_24(int(h2), m2, s2)
        if s1 is None:
            # "2 - 4.30pm": the start takes the end's am/pm unless that would put it after the end
            sh, sm = to_24(int(h1), m1, s2)
            if (sh, sm) >= (eh, em):
                sh, sm = to_24(int(h1), m1, None)
        else:
            sh, sm = to_24(int(h1), m1, s1)
        if (sh, sm) == (eh, em) or sh > 23 or eh > 24:
            st.dropped["opening period: bad time"] += 1
            continue
        out.append({"day": day, "opens": hm(sh, sm), "closes": hm(eh, em)})
    return out


AGE_RANGE_RE = re.compile(r"\baged (?:between )?(\d{1,2}|birth) (?:to|and|-) (\d{1,3})\b", re.I)
AGE_MIN_RE = re.compile(r"\baged (\d{1,2})(?: years)? (?:and (?:over|above))", re.I)
AGE_UPTO_RE = re.compile(r"\(up to (\d{1,3})\b", re.I)


def ages_from_text(text: str) -> tuple[int | None, int | None]:
    m = AGE_RANGE_RE.search(text)
    if m:
        lo = 0 if m.group(1).lower() == "birth" else int(m.group(1))
        hi = int(m.group(2))
        up = AGE_UPTO_RE.search(text[m.end():])
        if up:
            hi = max(hi, int(up.group(1)))
        return lo, hi
    m = AGE_MIN_RE.search(text)
    if m:
        return int(m.group(1)), None
    return None, None


def themes_from_text(text: str) -> tuple[set[str], set[str]]:
    cats, words = set(), set()
    for cat, rx in THEME_RES.items():
        for m in rx.finditer(text):
            cats.add(cat)
            words.add(m.group(1).lower())
    return cats, words


# ---------------------------------------------------------------------------------------------
# Loading


def load_raw(name: str) -> list[dict]:
    path = SRC / "assets" / name
    if name.endswith(".csv"):
        with open(path, encoding="utf-8", newline="") as f:
            return [dict(r) for r in csv.DictReader(f)]
    with open(path, encoding="utf-8") as f:
        fc = json.load(f)
    out = []
    for ft in fc["features"]:
        p = dict(ft["properties"])
        g = ft["geometry"]
        if g["type"] == "Point":
            p["_lon"], p["_lat"] = g["coordinates"][:2]
        else:
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            # The combined layer used the mean of the outer rings' vertices (closing vertex excluded).
            pts = [pt for poly in polys for pt in poly[0][:-1]]
            p["_lon"] = sum(pt[0] for pt in pts) / len(pts)
            p["_lat"] = sum(pt[1] for pt in pts) / len(pts)
        out.append(p)
    return out


RAW_NAME_KEYS = ["name", "site_name", "charity_name", "Name", "pharmacy_name", "DISTNAME", "Location"]
RAW_COORD_KEYS = [("lon", "lat"), ("Longitude", "Latitude"), ("_lon", "_lat")]


def verify_join(rec: dict, raw: dict) -> str | None:
    """Returns a problem description, or None when name and coordinates agree."""
    name = next((raw[k] for k in RAW_NAME_KEYS if k in raw), None)
    expected = {rec["name"]}
    if name is not None and not is_na(name) and name != "Unknown":
        if name.strip() not in expected:
            return f"name {name!r} != {rec['name']!r}"
    elif "site_type" in raw and rec["name"] != f"{raw['site_type']} (unnamed)":
        return f"unnamed site {rec['name']!r}"
    if "charity_contact_postcode" in raw:  # charities have no coordinates: check the postcode
        if (norm_postcode(raw["charity_contact_postcode"]) or raw["charity_contact_postcode"]) != (
            norm_postcode(rec["postcode"]) or rec["postcode"]
        ):
            return f"postcode {raw['charity_contact_postcode']!r} != {rec['postcode']!r}"
        return None
    for a, b in RAW_COORD_KEYS:
        if a in raw and not is_na(raw[a]):
            d = max(abs(float(raw[a]) - float(rec["lon"])), abs(float(raw[b]) - float(rec["lat"])))
            if d > 2e-6:
                return f"coordinates differ by {d:.6f} degrees"
            return None
    return "no coordinates in raw record"


# ---------------------------------------------------------------------------------------------
# Building one asset


def build_feature(rec: dict, raw: dict, idx: int, st: Stats) -> dict:
    src = rec["source_file"]
    cat, sub = rec["category"], rec["subcategory"]
    p: dict = {}
    cats: set[str] = set(BASE_CATEGORIES.get((cat, sub)) or BASE_CATEGORIES.get((cat, None)) or [])
    if not cats:
        raise SystemExit(f"no category mapping for {cat!r} / {sub!r} ({rec['id']})")
    tags: set[str] = set()
    desc: list[str] = []
    contact: dict = {}
    opening: dict = {}
    audience: dict = {}
    access: set[str] = set()
    cost = None
    source_id = f"{src}#{idx}"

    name = rec["name"].strip()
    if name == "Unknown":
        name = f"{sub[:1].upper()}{sub[1:]} (unnamed)"
        st.repaired["name: 'Unknown' -> '<type> (unnamed)'"] += 1
    if src == "trafford_jobcentreplus.csv" and "jobcentre" not in name.lower():
        name = f"{name} Jobcentre Plus"  # the raw file names offices by town only
        st.repaired["name: town -> '<town> Jobcentre Plus'"] += 1
    p["name"] = name
    p["abcd_type"] = rec["abcd_asset_type"].strip().lower().replace(" ", "_")

    if rec["address"]:
        parts = [x.strip() for x in rec["address"].split(",")]
        kept = [x for x in parts if x and x != "NA"]
        if len(kept) != len(parts):
            st.repaired["address: 'NA' parts removed"] += 1
        if kept:
            p["address"] = ", ".join(kept)
    if rec["postcode"]:
        pc = norm_postcode(rec["postcode"])
        if pc is None:
            st.dropped["postcode: not a UK postcode"] += 1
        else:
            if pc != rec["postcode"]:
                st.repaired["postcode: normalised"] += 1
            p["postcode"] = pc

    sub_tag = sub.lower()

    if src == "trafford_libraries.csv":
        tags.add("library")
        if clean(raw["type"]):
            desc.append(sentence(clean(raw["type"])))
        contact["email"] = take_email(raw["email"], st)
        contact["website"] = take_website(raw["website"], st)

    elif src == "trafford_schools_and_colleges.csv":
        lo, hi = int(raw["lowest_admission_age"]), int(raw["highest_admission_age"])
        typ = SCHOOL_TYPE_SINGULAR.get(raw["type"], raw["type"])
        bits = [typ, f"{raw['gender'].lower()}" if clean(raw["gender"]) else None, f"ages {lo} to {hi}"]
        desc.append(sentence(", ".join(b for b in bits if b)))
        rel = clean(raw["religion"])
        if rel and rel not in ("Does not apply", "None"):
            desc.append(f"Religious character: {rel}.")
            tags.add(rel.lower())
        rp = clean(raw["resource_provision"])
        if rp and rp != "Not applicable":
            desc.append(sentence(rp))
            tags.add("special educational needs")
        if raw["type"] == "Special schools":
            tags.add("special school")
        if raw["type"] == "Independent schools":
            tags.add("independent school")
        tags.add("college" if raw["type"] == "Colleges" else "school")
        for m in SCHOOL_NAME_WORDS.finditer(name):
            tags.add(m.group(1).lower())
        if 0 <= lo <= hi <= 120:
            audience["min_age"], audience["max_age"] = lo, hi
        else:
            st.dropped["ages: out of range"] += 1
        if raw["gender"] in ("Girls", "Boys"):
            audience["description"] = f"{raw['gender']} only"
        if lo < 16:
            cats.add("children_families")
        contact["website"] = take_website(raw["website"], st)
        source_id += f" (URN {raw['unique_reference_number']})"

    elif src == "trafford_childrens_centres.csv":
        tags.add("children's centre")
        contact["phone"] = take_phone(raw["telephone"], st, src)
        source_id += f" (URN {raw['unique_reference_number']})"

    elif src == "trafford_general_practices.csv":
        tags.update(["gp practice", "gp"])
        contact["phone"] = take_phone(raw["telephone"], st, src)

    elif src == "trafford_dentists.csv":
        tags.add("dentist")
        for t in raw["type"].split("|"):
            if clean(t):
                tags.add(t.strip().lower())
        contact["phone"] = take_phone(raw["telephone"], st, src)
        contact["website"] = take_website(raw["website"], st)

    elif src == "trafford_care_homes.csv":
        tags.add("care home")
        kinds = [t.strip() for t in raw["type"].split("|") if clean(t)]
        for t in kinds:
            tags.add({"Residential homes": "residential home", "Nursing homes": "nursing home",
                      "Homecare agencies": "homecare agency", "Supported living": "supported living"}.get(t, t.lower()))
        if kinds:
            desc.append("CQC service types: " + ", ".join(k.lower() for k in kinds) + ".")
        if clean(raw["provider"]):
            desc.append(f"Provider: {clean(raw['provider'])}.")
        if clean(raw["inspection_date"]):
            desc.append(f"Last CQC inspection: {raw['inspection_date']}.")
        if clean(raw["cqc_webpage"]):
            desc.append(f"CQC page: {raw['cqc_webpage'].strip()}")
        contact["phone"] = take_phone(raw["telephone"], st, src)
        contact["website"] = take_website(raw["website"], st)
        source_id += f" (CQC {raw['cqc_id']})"

    elif src == "trafford_pharmacies.geojson":
        tags.add("pharmacy")
        periods = []
        for dname, d in zip(PHARMACY_DAYS, DAYS):
            periods += parse_pharmacy_day(raw.get(f"opening_hours_{dname}", ""), d, st)
        if periods:
            opening["periods"] = periods
        source_id += f" (ODS {raw['organisation_data_service_code']})"

    elif src == "trafford_hospitals.geojson":
        tags.add("hospital")
        source_id += f" (OS {raw['ID']})"

    elif src in ("trafford_fire_stations.geojson", "trafford_post_offices.geojson",
                 "trafford_places_of_worship.geojson"):
        tags.add(sub_tag)
        if src == "trafford_places_of_worship.geojson":
            for m in WORSHIP_WORDS.finditer(name):
                tags.add(m.group(1).lower())
        source_id += f" (OS {raw['ID']})"

    elif src == "trafford_jobcentreplus.csv":
        tags.update(["jobcentre plus", "employment", "benefits"])

    elif src == "trafford_food_banks.geojson":
        tags.add("food bank")
        if re.search(r"\bpantry\b", name, re.I):
            tags.add("pantry")
        times = clean(raw.get("Opening times"))
        if times:
            periods = parse_free_times(times, st)
            if periods:
                opening["periods"] = periods
        ref = clean(raw.get("Referral method"))
        if ref:
            opening["note"] = f"Referral needed: {ref.lower()}."
            audience["description"] = f"People referred with a {ref.lower()}" if "voucher" in ref.lower() else f"Referral: {ref}"
            desc.append(f"Referral method: {ref}.")
        c = clean(raw.get("Contact"))
        if c and "@" in c:
            contact["email"] = take_email(c, st)
        elif c:
            contact["phone"] = take_phone(c, st, src)
        contact["website"] = take_website(raw.get("Website"), st)

    elif src == "trafford_mental_health_services.geojson":
        tags.add("mental health")
        text = clean(raw.get("description"))
        if text:
            desc.append(sentence(text))
            more, words = themes_from_text(text)
            cats |= more
            tags |= words
            lo, hi = ages_from_text(text)
            if lo is not None:
                audience["min_age"] = lo
                if hi is not None:
                    audience["max_age"] = hi
        contact["phone"] = take_phone(raw.get("telephone"), st, src)
        contact["website"] = take_website(raw.get("website"), st)

    elif src == "charities_operating_in_trafford.csv":
        tags.add("charity")
        acts = clean(raw["charity_activities"])
        if acts:
            desc.append(sentence(acts))
        more, words = themes_from_text(f"{raw['charity_name']} . {acts or ''}")
        cats |= more
        tags |= words
        ctype = clean(raw["charity_type"])
        desc.append(f"Registered charity {raw['registered_charity_number']}"
                    + (f" ({ctype.lower()})" if ctype and ctype != "Other" else "") + ".")
        contact["phone"] = take_phone(raw["charity_contact_phone"], st, src)
        contact["email"] = take_email(raw["charity_contact_email"], st)
        contact["website"] = take_website(raw["charity_contact_web"], st)
        source_id += f" (charity {raw['registered_charity_number']})"

    elif src == "sports_facilities.csv":
        ftype = raw["facility_type"]
        tags.update(SPORT_FACILITY_TAGS.get(ftype, [ftype.lower()]))
        acc = clean(raw["access_type"])
        n = clean(raw["facility_areas_on_site"])
        first = ftype
        if n and n != "0":
            first += f" ({n} on site)"
        desc.append(first + ".")
        if acc:
            desc.append(f"Access: {acc}.")
            tags.add(acc.lower())
            if acc in SPORT_ACCESS_COST:
                cost = {"band": SPORT_ACCESS_COST[acc], "detail": acc}
        notes = clean(raw["disability_notes"])
        if notes:
            desc.append("Accessibility: " + sentence(notes))
        if raw["car_park"] == "Yes":
            access.add("parking")
        if raw["disability_parking"] == "Yes":
            access.add("accessible_parking")
        if raw["disability_toilets"] == "Yes":
            access.add("accessible_toilet")
        contact["phone"] = take_phone(raw["telephone"], st, src)
        contact["email"] = take_email(raw["email"], st)
        contact["website"] = take_website(raw["website"], st)
        source_id += f" (Active Places site {raw['site_id']})"

    elif src == "sports_clubs.geojson":
        tags.add("sports club")
        for t in re.split(r",\s*", raw.get("category") or ""):
            if clean(t):
                tags.add(t.strip().lower())

    elif src == "trafford_allotments.csv":
        tags.update(["allotment", "gardening"])
        source_id += f" (OSM way {raw['osm_id']})"

    elif src == "trafford_greenspace_sites.geojson":
        tags.update(GREENSPACE_TAGS.get(sub, [sub_tag]))

    elif src == "trafford_defibrillators.csv":
        tags.add("defibrillator")
        notes = clean(raw["Notes"])
        if notes:
            desc.append(sentence(notes))
        desc.append("The publisher notes that defibrillators may have restrictions on public "
                    "availability, may not be available 24/7, and that locations derived from "
                    "postcodes may not be exact.")

    else:
        raise SystemExit(f"unknown source file {src}")

    if desc:
        p["description"] = " ".join(desc)
    p["categories"] = sorted(cats)
    p["tags"] = sorted(t for t in tags if 1 <= len(t) <= 50)
    contact = {k: v for k, v in contact.items() if v}
    if contact:
        p["contact"] = contact
    if opening:
        p["opening_times"] = opening
    if cost:
        p["cost"] = cost
    if access:
        p["access"] = sorted(access)
    if audience:
        p["audience"] = audience

    attribution = rec["attribution"].strip() or README_ATTRIBUTION.get(src) or OGL_STATEMENT
    p["provenance"] = {
        "source": rec["source_publisher"],
        "source_id": source_id,
        "licence": rec["licence"],
        "attribution": attribution,
        "geocode_method": rec["geocode_method"],
    }

    # summary counters
    st.c["abcd:" + p["abcd_type"]] += 1
    for c in p["categories"]:
        st.c["cat:" + c] += 1
    if "opening_times" in p:
        st.c["with opening_times"] += 1
        if opening.get("periods"):
            st.c["with opening periods"] += 1
    if audience.get("min_age") is not None or audience.get("max_age") is not None:
        st.c["with ages"] += 1
    if audience.get("description"):
        st.c["with audience description"] += 1
    if "description" in p:
        st.c["with description"] += 1
    if contact:
        st.c["with any contact"] += 1
    for k in contact:
        st.c["with " + k] += 1
    if cost:
        st.c["with cost band " + cost["band"]] += 1
    if access:
        st.c["with access features"] += 1

    return {
        "geometry": {"coordinates": [float(rec["lon"]), float(rec["lat"])], "type": "Point"},
        "id": rec["id"],
        "properties": p,
        "type": "Feature",
    }


# ---------------------------------------------------------------------------------------------
# Output checks (same rules as the Rust validator)

ALLOWED_KEYS = {
    "name", "description", "abcd_type", "categories", "tags", "address", "postcode", "contact",
    "opening_times", "cost", "access", "audience", "languages", "provenance", "verified_at", "status",
}
ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
TIME_OK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


def validate(features: list[dict]) -> list[str]:
    errs = []
    ids = set()
    for f in features:
        fid, p = f["id"], f["properties"]
        e = lambda m: errs.append(f"{fid}: {m}")  # noqa: E731
        if not ID_RE.fullmatch(fid):
            e("bad id")
        if fid in ids:
            e("duplicate id")
        ids.add(fid)
        lon, lat = f["geometry"]["coordinates"]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            e("bad coordinates")
        if set(p) - ALLOWED_KEYS:
            e(f"unknown keys {set(p) - ALLOWED_KEYS}")
        n = p.get("name", "")
        if not n.strip() or len(n.strip()) > 200 or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in n):
            e("bad name")
        if p.get("abcd_type") not in VOCAB_ABCD:
            e("bad abcd_type")
        if not p.get("categories") or set(p["categories"]) - VOCAB_CATEGORIES:
            e(f"bad categories {p.get('categories')}")
        for t in p.get("tags", []):
            if t != t.strip().lower() or not (1 <= len(t) <= 50) or any(ord(c) < 32 for c in t):
                e(f"bad tag {t!r}")
        if set(p.get("access", [])) - VOCAB_ACCESS:
            e("bad access")
        if "postcode" in p and norm_postcode(p["postcode"]) != p["postcode"]:
            e("bad postcode")
        c = p.get("contact", {})
        if set(c) - {"phone", "email", "website"}:
            e("bad contact keys")
        if "phone" in c and not phone_valid(c["phone"]):
            e("bad phone")
        if "email" in c and not email_valid(c["email"]):
            e("bad email")
        if "website" in c and not website_valid(c["website"]):
            e("bad website")
        ot = p.get("opening_times", {})
        if set(ot) - {"periods", "by_arrangement", "note"}:
            e("bad opening_times keys")
        for per in ot.get("periods", []):
            if set(per) != {"day", "opens", "closes"} or per["day"] not in DAYS:
                e("bad period")
            elif not (TIME_OK.fullmatch(per["opens"]) and TIME_OK.fullmatch(per["closes"])):
                e(f"bad time {per}")
            elif per["opens"] == per["closes"] or per["opens"] == "24:00":
                e(f"bad period {per}")
        if "cost" in p and (p["cost"].get("band") not in ("free", "low", "paid") or set(p["cost"]) - {"band", "detail"}):
            e("bad cost")
        a = p.get("audience", {})
        if set(a) - {"min_age", "max_age", "description"}:
            e("bad audience keys")
        for k in ("min_age", "max_age"):
            if k in a and not (isinstance(a[k], int) and 0 <= a[k] <= 120):
                e(f"bad {k}")
        if "min_age" in a and "max_age" in a and a["min_age"] > a["max_age"]:
            e("min_age > max_age")
        if len(p.get("description", "")) > 5000:
            e("description too long")
        pv = p.get("provenance", {})
        if set(pv) - {"source", "source_id", "licence", "attribution", "geocode_method"}:
            e("bad provenance keys")
        if p.get("status", "active") not in ("active", "temporarily_closed", "closed"):
            e("bad status")
    return errs


# ---------------------------------------------------------------------------------------------


def build() -> tuple[str, Stats, list[str]]:
    st = Stats()
    with open(COMBINED, encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    raws: dict[str, list[dict]] = {}
    join_problems = []
    features = []
    for rec in records:
        src = rec["source_file"]
        if src not in raws:
            raws[src] = load_raw(src)
        idx = int(rec["id"].rsplit(":", 1)[1])
        raw = raws[src][idx]
        problem = verify_join(rec, raw)
        if problem:
            join_problems.append(f"{rec['id']}: {problem}")
            raw = {k: "" for k in raw}  # do not enrich from a record that does not match
        st.c["joined " + src] += 1
        features.append(build_feature(rec, raw, idx, st))
    errors = validate(features) + [f"join: {p}" for p in join_problems]
    lines = [json.dumps(ft, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for ft in features]
    text = '{"features":[\n' + ",\n".join(lines) + '\n],"type":"FeatureCollection"}\n'
    st.c["features"] = len(features)
    st.c["records in combined CSV"] = len(records)
    return text, st, errors


def summary(st: Stats) -> str:
    out = [f"features: {st.c['features']} (combined CSV records: {st.c['records in combined CSV']})"]
    out.append("ABCD types: " + ", ".join(f"{k[5:]} {v}" for k, v in sorted(st.c.items()) if k.startswith("abcd:")))
    out.append("categories: " + ", ".join(f"{k[4:]} {v}" for k, v in sorted(st.c.items()) if k.startswith("cat:")))
    out.append("enrichment: " + ", ".join(f"{k} {v}" for k, v in sorted(st.c.items()) if k.startswith("with ")))
    out.append("repaired: " + (", ".join(f"{k} {v}" for k, v in sorted(st.repaired.items())) or "none"))
    out.append("dropped: " + (", ".join(f"{k} {v}" for k, v in sorted(st.dropped.items())) or "none"))
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed output is stale")
    args = ap.parse_args()
    text, st, errors = build()
    if errors:
        print("\n".join(errors[:50]), file=sys.stderr)
        print(f"{len(errors)} problem(s); not written", file=sys.stderr)
        return 2
    if args.check:
        current = OUT.read_bytes() if OUT.exists() else None
        if current != text.encode("utf-8"):
            print(f"{OUT.relative_to(DATA.parent)} is out of date: run python3 data/build_dataset.py", file=sys.stderr)
            return 1
        print(f"{OUT.relative_to(DATA.parent)} is up to date ({st.c['features']} features)")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(text.encode("utf-8"))
    print(f"wrote {OUT.relative_to(DATA.parent)}")
    print(summary(st))
    return 0


if __name__ == "__main__":
    sys.exit(main())
