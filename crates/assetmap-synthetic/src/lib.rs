#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

use assetmap_core::{
    AbcdType, AccessFeature, Asset, AssetId, AssetName, Audience, Category, Contact, Cost,
    CostBand, Email, Language, LonLat, OpeningPeriod, OpeningTimes, Phone, Postcode, Provenance,
    Status, Tag, TimeOfDay, Website, Weekday,
};
use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A longitude/latitude box in degrees, edges included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl Extent {
    /// Whether `p` is inside or on the edge.
    pub fn contains(&self, p: &LonLat) -> bool {
        (self.west..=self.east).contains(&p.lon()) && (self.south..=self.north).contains(&p.lat())
    }
}

/// Where synthetic assets lie: longitude -3.0..=-1.9, latitude 53.2..=53.7 (degrees).
pub const EXTENT: Extent = Extent {
    west: -3.0,
    south: 53.2,
    east: -1.9,
    north: 53.7,
};

/// The id of synthetic asset `i`: `syn-` and `i` padded to 8 digits.
///
/// # Examples
/// ```
/// assert_eq!(assetmap_synthetic::id(12).as_str(), "syn-00000012");
/// ```
pub fn id(i: usize) -> AssetId {
    AssetId::parse(&format!("syn-{i:08}")).expect("syn-<digits> is a valid asset id")
}

/// `n` synthetic assets for `seed`, in id order (generated on all available cores).
pub fn assets(seed: u64, n: usize) -> Vec<Asset> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8);
    if n < 20_000 || threads == 1 {
        return (0..n).map(|i| asset(seed, i)).collect();
    }
    let chunk = n.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk)..((t + 1) * chunk).min(n);
                scope.spawn(move || range.map(|i| asset(seed, i)).collect::<Vec<_>>())
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for h in handles {
            // A worker only panics if `asset` does, which it does not; re-raise if it did.
            match h.join() {
                Ok(part) => out.extend(part),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    })
}

/// Synthetic asset number `i` of the set for `seed` (depends on nothing else).
pub fn asset(seed: u64, i: usize) -> Asset {
    let mut r = Rng::new(seed, ASSET_STREAMS, i as u64);
    let (location, town) = place(seed, i, &mut r);
    let main = *r.weighted(CATEGORY_WEIGHTS);
    let mut categories = vec![main];
    let th = theme(main);
    if r.chance(0.45) {
        categories.push(*r.pick(th.related));
    }
    if r.chance(0.12) {
        categories.push(r.weighted(CATEGORY_WEIGHTS).to_owned());
    }
    categories.sort();
    categories.dedup();
    let abcd_type = if r.chance(0.85) {
        *r.pick(th.abcd)
    } else {
        *r.pick(AbcdType::ALL)
    };
    let name_text = name(&mut r, th, town, main);
    let name =
        AssetName::parse(&name_text).expect("generated names are short, trimmed and printable");
    let audience = audience(&mut r, main);
    let cost = cost(&mut r);
    let access = access(&mut r);
    let opening_times = opening_times(&mut r, main);
    let status = *r.weighted(&[
        (Status::Active, 88),
        (Status::TemporarilyClosed, 7),
        (Status::Closed, 5),
    ]);
    let description = r.chance(0.93).then(|| {
        description(
            &mut r,
            th,
            town,
            &name_text,
            &audience,
            cost.as_ref(),
            &access,
        )
    });
    let mut tag_words: Vec<&str> = Vec::new();
    for _ in 0..r.below(5) + 1 {
        tag_words.push(if r.chance(0.5) {
            *r.pick(main.keywords())
        } else {
            *r.pick(th.tags)
        });
    }
    if r.chance(0.3) {
        tag_words.push(*r.pick(GENERAL_TAGS));
    }
    let mut tags: Vec<Tag> = tag_words
        .into_iter()
        .filter_map(|t| Tag::parse(t).ok())
        .collect();
    tags.sort();
    tags.dedup();
    let slug = slug(&name_text);
    let contact = Contact {
        phone: r
            .chance(0.65)
            .then(|| phone(&mut r, town))
            .and_then(|p| Phone::parse(&p).ok()),
        email: r
            .chance(0.45)
            .then(|| {
                format!(
                    "{}@{slug}.org.uk",
                    r.pick(&["hello", "info", "contact", "admin", "bookings"])
                )
            })
            .and_then(|e| Email::parse(&e).ok()),
        website: r
            .chance(0.5)
            .then(|| format!("https://www.{slug}.org.uk"))
            .and_then(|w| Website::parse(&w).ok()),
    };
    let mut languages: Vec<Language> = if r.chance(0.1) {
        Vec::new()
    } else if r.chance(0.78) {
        vec![lang("en")]
    } else {
        let other: &&str = r.pick(LANGUAGES);
        vec![lang("en"), lang(other)]
    };
    languages.retain(|l| !l.as_str().is_empty());
    languages.sort();
    languages.dedup();
    let created_at = epoch() + TimeDelta::seconds(r.below(6 * 365 * 86_400) as i64);
    let updated_at = created_at + TimeDelta::seconds(r.below(400 * 86_400) as i64);
    let verified_at = r
        .chance(0.75)
        .then(|| {
            NaiveDate::from_ymd_opt(2021, 1, 1)
                .and_then(|d| d.checked_add_days(Days::new(r.below(1_640))))
        })
        .flatten();
    Asset {
        id: id(i),
        name,
        description,
        abcd_type,
        categories,
        tags,
        location,
        address: r.chance(0.85).then(|| {
            format!(
                "{} {}, {}, {}",
                r.below(240) + 1,
                r.pick(STREETS),
                r.pick(NEIGHBOURHOODS),
                town.name
            )
        }),
        postcode: r
            .chance(0.9)
            .then(|| postcode(&mut r, town))
            .and_then(|p| Postcode::parse(&p).ok()),
        contact,
        opening_times,
        cost,
        access,
        audience,
        languages,
        provenance: Provenance {
            source: Some("assetmap synthetic data".to_owned()),
            source_id: Some(format!("seed {seed} #{i}")),
            licence: Some("CC0-1.0".to_owned()),
            attribution: None,
            geocode_method: Some(
                (*r.weighted(&[
                    ("source_point", 70),
                    ("postcode_centroid", 25),
                    ("manual", 5),
                ]))
                .to_owned(),
            ),
        },
        verified_at,
        status,
        created_at,
        updated_at,
        version: 1 + r.below(6),
    }
}

fn epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(1_546_300_800, 0).unwrap_or_default() // 2019-01-01T00:00:00Z
}

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap_or_else(|_| Language::parse("en").expect("en is a language code"))
}

/// The ChaCha key's domain tag for the assets' streams (stream `i` is asset `i`).
const ASSET_STREAMS: u64 = u64::from_le_bytes(*b"assets\0\0");
/// The ChaCha key's domain tag for the shared venues' streams (stream `v` is venue `v`).
const VENUE_STREAMS: u64 = u64::from_le_bytes(*b"venues\0\0");

/// A ChaCha8 stream and the draws the generator makes from it (see the README: the key is the
/// seed and a domain tag, the stream number the asset or venue index).
struct Rng(ChaCha8Rng);

impl Rng {
    fn new(seed: u64, domain: u64, stream: u64) -> Rng {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&domain.to_le_bytes());
        let mut r = ChaCha8Rng::from_seed(key);
        r.set_stream(stream);
        Rng(r)
    }
    /// Uniform in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        self.0.gen::<f64>()
    }
    /// Uniform in `0..n` (`0` when `n == 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.0.gen_range(0..n.max(1))
    }
    fn chance(&mut self, p: f64) -> bool {
        self.0.gen_bool(p)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            if x < u64::from(*w) {
                return item;
            }
            x -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

struct Town {
    name: &'static str,
    lon: f64,
    lat: f64,
    /// Relative share of assets.
    weight: u32,
    /// Spread around the centre, km (one standard deviation).
    spread_km: f64,
    outward: &'static [&'static str],
    dialling: &'static str,
}

macro_rules! towns {
    ($( $name:literal, $lon:literal, $lat:literal, $w:literal, $s:literal, [$($o:literal),+], $d:literal; )+) => {
        &[ $( Town { name: $name, lon: $lon, lat: $lat, weight: $w, spread_km: $s, outward: &[$($o),+], dialling: $d }, )+ ]
    };
}

const TOWNS: &[Town] = towns! {
    "Manchester", -2.2426, 53.4808, 60, 3.5, ["M1", "M4", "M8", "M9", "M11", "M12", "M13", "M14", "M15", "M16", "M20", "M40"], "0161";
    "Salford", -2.2900, 53.4875, 22, 2.5, ["M3", "M5", "M6", "M7", "M50"], "0161";
    "Stockport", -2.1575, 53.4106, 22, 3.0, ["SK1", "SK2", "SK3", "SK4", "SK5"], "0161";
    "Bolton", -2.4282, 53.5769, 22, 3.0, ["BL1", "BL2", "BL3", "BL4", "BL5"], "01204";
    "Wigan", -2.6325, 53.5450, 18, 3.0, ["WN1", "WN2", "WN3", "WN5", "WN6"], "01942";
    "Oldham", -2.1183, 53.5409, 16, 2.5, ["OL1", "OL4", "OL8", "OL9"], "0161";
    "Rochdale", -2.1561, 53.6097, 14, 2.5, ["OL11", "OL12", "OL16"], "01706";
    "Bury", -2.2978, 53.5933, 14, 2.5, ["BL8", "BL9"], "0161";
    "Warrington", -2.5970, 53.3900, 16, 3.0, ["WA1", "WA2", "WA4", "WA5"], "01925";
    "Liverpool", -2.9600, 53.4100, 12, 2.0, ["L7", "L13", "L15", "L25"], "0151";
    "St Helens", -2.7370, 53.4540, 9, 2.0, ["WA9", "WA10"], "01744";
    "Sale", -2.3183, 53.4242, 9, 1.8, ["M33"], "0161";
    "Altrincham", -2.3533, 53.3838, 8, 1.8, ["WA14", "WA15"], "0161";
    "Stretford", -2.3100, 53.4460, 6, 1.5, ["M32"], "0161";
    "Urmston", -2.3540, 53.4480, 5, 1.5, ["M41"], "0161";
    "Eccles", -2.3340, 53.4830, 5, 1.5, ["M30"], "0161";
    "Ashton-under-Lyne", -2.0980, 53.4880, 7, 2.0, ["OL6", "OL7"], "0161";
    "Hyde", -2.0790, 53.4510, 5, 1.5, ["SK14"], "0161";
    "Leigh", -2.5190, 53.4970, 6, 2.0, ["WN7"], "01942";
    "Middleton", -2.2000, 53.5520, 5, 1.5, ["M24"], "0161";
    "Prestwich", -2.2840, 53.5330, 4, 1.2, ["M25"], "0161";
    "Chorlton", -2.2770, 53.4420, 5, 1.2, ["M21"], "0161";
    "Didsbury", -2.2310, 53.4170, 4, 1.2, ["M20"], "0161";
    "Wythenshawe", -2.2640, 53.3850, 6, 2.0, ["M22", "M23"], "0161";
    "Cheadle", -2.2180, 53.3930, 4, 1.5, ["SK8"], "0161";
    "Stalybridge", -2.0590, 53.4840, 3, 1.2, ["SK15"], "0161";
    "Radcliffe", -2.3250, 53.5610, 3, 1.2, ["M26"], "0161";
    "Farnworth", -2.4000, 53.5470, 3, 1.2, ["BL4"], "01204";
    "Horwich", -2.5500, 53.6010, 3, 1.2, ["BL6"], "01204";
    "Heywood", -2.2190, 53.5920, 3, 1.2, ["OL10"], "01706";
    "Denton", -2.1160, 53.4560, 3, 1.2, ["M34"], "0161";
    "Wilmslow", -2.2310, 53.3280, 4, 1.5, ["SK9"], "01625";
    "Knutsford", -2.3720, 53.3030, 2, 1.2, ["WA16"], "01565";
    "Macclesfield", -2.1250, 53.2600, 5, 2.0, ["SK10", "SK11"], "01625";
    "Northwich", -2.5180, 53.2590, 4, 2.0, ["CW8", "CW9"], "01606";
    "Runcorn", -2.7310, 53.3420, 5, 2.0, ["WA7"], "01928";
    "Widnes", -2.7290, 53.3620, 5, 2.0, ["WA8"], "0151";
    "Chorley", -2.6320, 53.6530, 5, 2.0, ["PR6", "PR7"], "01257";
    "Ormskirk", -2.8820, 53.5670, 3, 1.5, ["L39"], "01695";
    "Glossop", -1.9490, 53.4430, 3, 1.5, ["SK13"], "01457";
    "Ramsbottom", -2.3170, 53.6480, 2, 1.2, ["BL0"], "01706";
    "Huyton", -2.8430, 53.4100, 4, 1.5, ["L36"], "0151";
};

/// A location and the town it belongs to: a shared venue, a point around a town centre, or
/// (rarely) anywhere in the extent.
fn place(seed: u64, i: usize, r: &mut Rng) -> (LonLat, &'static Town) {
    if r.chance(0.05) {
        // A shared venue (community centre, church hall): each block of 1,000 assets has 10,
        // so about five assets sit at exactly the same point, at any size of set.
        let venue = (i / 1_000) as u64 * 10 + r.below(10);
        let mut v = Rng::new(seed, VENUE_STREAMS, venue);
        return around_town(&mut v);
    }
    if r.chance(0.06) {
        let lon = EXTENT.west + r.unit() * (EXTENT.east - EXTENT.west);
        let lat = EXTENT.south + r.unit() * (EXTENT.north - EXTENT.south);
        let town = TOWNS
            .iter()
            .min_by(|a, b| sq(a, lon, lat).total_cmp(&sq(b, lon, lat)))
            .unwrap_or(&TOWNS[0]);
        return (rounded(lon, lat), town);
    }
    around_town(r)
}

fn sq(t: &Town, lon: f64, lat: f64) -> f64 {
    ((t.lon - lon) * 0.6).powi(2) + (t.lat - lat).powi(2)
}

fn around_town(r: &mut Rng) -> (LonLat, &'static Town) {
    let weights: &[(usize, u32)] = &TOWN_WEIGHTS;
    let town = &TOWNS[*r.weighted(weights)];
    let km_per_deg_lat = 111.2;
    let km_per_deg_lon = km_per_deg_lat * town.lat.to_radians().cos();
    // A tight core (the high street) and a wider suburban ring.
    let spread = if r.chance(0.35) {
        town.spread_km * 0.3
    } else {
        town.spread_km
    };
    let lon = town.lon + r.normal() * spread / km_per_deg_lon;
    let lat = town.lat + r.normal() * spread / km_per_deg_lat;
    (rounded(lon, lat), town)
}

const TOWN_WEIGHTS: [(usize, u32); 42] = {
    let mut w = [(0usize, 0u32); 42];
    let mut i = 0;
    while i < TOWNS.len() && i < 42 {
        w[i] = (i, TOWNS[i].weight);
        i += 1;
    }
    w
};
const _: () = assert!(TOWNS.len() == 42);

/// Clamped to [`EXTENT`] and rounded to 6 decimals (about 0.1 m), as real sources give them.
fn rounded(lon: f64, lat: f64) -> LonLat {
    let lon = ((lon.clamp(EXTENT.west, EXTENT.east)) * 1e6).round() / 1e6;
    let lat = ((lat.clamp(EXTENT.south, EXTENT.north)) * 1e6).round() / 1e6;
    LonLat::new(lon, lat).expect("clamped into the extent")
}

fn postcode(r: &mut Rng, town: &Town) -> String {
    const INWARD: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let a = INWARD[r.below(INWARD.len() as u64) as usize] as char;
    let b = INWARD[r.below(INWARD.len() as u64) as usize] as char;
    format!("{} {}{a}{b}", r.pick(town.outward), r.below(10))
}

fn phone(r: &mut Rng, town: &Town) -> String {
    match town.dialling.len() {
        4 => format!(
            "{} {:03} {:04}",
            town.dialling,
            200 + r.below(800),
            r.below(10_000)
        ),
        _ => format!("{} {:06}", town.dialling, 200_000 + r.below(800_000)),
    }
}

fn slug(name: &str) -> String {
    let mut s = String::new();
    for w in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if s.len() + w.len() > 40 {
            break;
        }
        if !s.is_empty() {
            s.push('-');
        }
        s.push_str(&w.to_ascii_lowercase());
    }
    if s.is_empty() {
        s.push_str("community");
    }
    s
}

fn name(r: &mut Rng, th: &Theme, town: &Town, main: Category) -> String {
    let noun = *r.pick(th.nouns);
    match r.below(10) {
        0..=2 => format!("{} {noun}", town.name),
        3..=4 => format!("{} {noun}", r.pick(NEIGHBOURHOODS)),
        5 => format!("{noun} at {}", r.pick(VENUES)),
        6 => format!("{} {noun}", r.pick(FRIENDLY)),
        7 if main == Category::GreenSpaceNature => format!("Friends of {}", r.pick(PARKS)),
        7 => format!("{} {noun}", r.pick(STREETS)),
        8 => format!(
            "{} {} {noun}",
            r.pick(NEIGHBOURHOODS),
            r.pick(&[
                "Community",
                "Family",
                "Neighbourhood",
                "Village",
                "Township"
            ])
        ),
        _ => format!("{} {noun}", r.pick(VENUE_NAMES)),
    }
}

fn description(
    r: &mut Rng,
    th: &Theme,
    town: &Town,
    name: &str,
    audience: &Audience,
    cost: Option<&Cost>,
    access: &[AccessFeature],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let opener = match r.below(5) {
        0 => format!("{name} is a {} in {}.", r.pick(th.what), town.name),
        1 => format!(
            "A {} based in {}, {}.",
            r.pick(th.what),
            r.pick(NEIGHBOURHOODS),
            town.name
        ),
        2 => format!("Welcome to {name}!"),
        3 => format!(
            "Run by local volunteers in {} since {}.",
            town.name,
            1965 + r.below(58)
        ),
        _ => format!(
            "A friendly {} for people in and around {}.",
            r.pick(th.what),
            town.name
        ),
    };
    parts.push(opener);
    let n = 1 + r.below(3) as usize;
    let start = r.below(th.lines.len() as u64) as usize;
    for k in 0..n.min(th.lines.len()) {
        parts.push(th.lines[(start + k * 3) % th.lines.len()].to_owned());
    }
    if let Some(d) = audience.description() {
        parts.push(format!(
            "{} {}.",
            r.pick(&["Open to", "Aimed at", "For", "Especially welcoming to"]),
            lower_first(d)
        ));
    }
    if r.chance(0.4) {
        if let Some(c) = cost {
            parts.push(match (c.band, &c.detail) {
                (CostBand::Free, _) => (*r.pick(&[
                    "It is free to attend.",
                    "There is no charge.",
                    "Free of charge, no referral needed.",
                ]))
                .to_owned(),
                (_, Some(d)) => format!("Cost: {d}."),
                (CostBand::Low, None) => "There is a small charge.".to_owned(),
                (CostBand::Paid, None) => "Fees apply; ask about concessions.".to_owned(),
            });
        }
    }
    if !access.is_empty() && r.chance(0.5) {
        let labels: Vec<String> = access
            .iter()
            .take(3)
            .map(|a| lower_first(a.label()))
            .collect();
        parts.push(format!("The venue has {}.", labels.join(", ")));
    }
    if r.chance(0.7) {
        parts.push((*r.pick(CLOSERS)).to_owned());
    }
    parts.join(" ")
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), s.chars().nth(1)) {
        // Keep acronyms ("BSL", "GP") as they are.
        (Some(f), Some(second)) if !second.is_uppercase() => f.to_lowercase().chain(c).collect(),
        _ => s.to_owned(),
    }
}

fn hm(h: u64, m: u64) -> Option<TimeOfDay> {
    TimeOfDay::from_hm(h as u16, m as u16).ok()
}

fn period(
    day: Weekday,
    opens: Option<TimeOfDay>,
    closes: Option<TimeOfDay>,
) -> Option<OpeningPeriod> {
    OpeningPeriod::new(day, opens?, closes?).ok()
}

fn opening_times(r: &mut Rng, main: Category) -> OpeningTimes {
    let mut periods = Vec::new();
    let mut by_arrangement = false;
    let all_day_share = if main == Category::GreenSpaceNature {
        60
    } else {
        4
    };
    let kind = *r.weighted(&[
        ("unknown", 14),
        ("arrangement", 8),
        ("weekly", 32),
        ("office", 24),
        ("all_day", all_day_share),
        ("late", 5),
        ("weekend", 9),
    ]);
    match kind {
        "unknown" => {}
        "arrangement" => by_arrangement = true,
        "weekly" => {
            for _ in 0..1 + r.below(2) {
                let day = *r.pick(&Weekday::ALL);
                let start = 18 + r.below(24); // half hours from 09:00 to 20:30
                let len = 2 + r.below(5); // 1 to 3 hours
                let end = (start + len).min(47);
                periods.extend(period(
                    day,
                    hm(start / 2, start % 2 * 30),
                    hm(end / 2, end % 2 * 30),
                ));
            }
            by_arrangement = r.chance(0.08);
        }
        "office" => {
            let days = if r.chance(0.25) { 6 } else { 5 };
            let (o, c) = (
                hm(8 + r.below(3), if r.chance(0.5) { 0 } else { 30 }),
                hm(15 + r.below(4), if r.chance(0.7) { 0 } else { 30 }),
            );
            for day in &Weekday::ALL[..days] {
                periods.extend(period(*day, o, c));
            }
            if r.chance(0.3) {
                periods.extend(period(Weekday::Thu, hm(17, 0), hm(19, 30)));
            }
            by_arrangement = r.chance(0.1);
        }
        "all_day" => {
            for day in Weekday::ALL {
                periods.extend(period(day, hm(0, 0), hm(24, 0)));
            }
        }
        "late" => {
            // Evenings that run past midnight: night café, youth night, night shelter.
            let (o, c) = (
                hm(19 + r.below(4), 0),
                hm(r.below(3), if r.chance(0.5) { 0 } else { 30 }),
            );
            for day in if r.chance(0.6) {
                &[Weekday::Fri, Weekday::Sat][..]
            } else {
                &[Weekday::Sun][..]
            } {
                periods.extend(period(*day, o, c));
            }
        }
        _ => {
            for day in [Weekday::Sat, Weekday::Sun] {
                if r.chance(0.7) {
                    periods.extend(period(day, hm(9 + r.below(2), 0), hm(12 + r.below(4), 0)));
                }
            }
        }
    }
    let note = r.chance(0.2).then(|| (*r.pick(TIME_NOTES)).to_owned());
    OpeningTimes::new(periods, by_arrangement, note)
}

fn cost(r: &mut Rng) -> Option<Cost> {
    if r.chance(0.18) {
        return None;
    }
    let band = *r.weighted(&[
        (CostBand::Free, 55),
        (CostBand::Low, 30),
        (CostBand::Paid, 15),
    ]);
    let detail = match band {
        CostBand::Free => r.chance(0.3).then(|| {
            *r.pick(&[
                "Free, no referral needed",
                "Free; refreshments 50p",
                "Free for residents",
                "Free, donations welcome",
            ])
        }),
        CostBand::Low => r.chance(0.7).then(|| {
            *r.pick(&[
                "£2 a session",
                "£3 including tea and cake",
                "£1.50, carers free",
                "Pay what you can",
                "£2.50 per visit",
                "£4 a week, concessions £2",
            ])
        }),
        CostBand::Paid => r.chance(0.8).then(|| {
            *r.pick(&[
                "£6 per class",
                "£25 a month",
                "£45 per term",
                "From £8.50 per session",
                "£12 per hour",
                "Annual membership £60",
            ])
        }),
    };
    Some(Cost {
        band,
        detail: detail.map(str::to_owned),
    })
}

fn access(r: &mut Rng) -> Vec<AccessFeature> {
    use AccessFeature::*;
    let odds = [
        (StepFree, 0.55),
        (AccessibleToilet, 0.4),
        (ChangingPlaces, 0.03),
        (HearingLoop, 0.15),
        (Parking, 0.35),
        (AccessibleParking, 0.2),
        (DementiaFriendly, 0.15),
        (AutismFriendly, 0.08),
        (QuietSpace, 0.12),
        (Bsl, 0.04),
        (PublicTransport, 0.5),
    ];
    if r.chance(0.2) {
        return Vec::new();
    }
    odds.iter()
        .filter(|(_, p)| r.chance(*p))
        .map(|(f, _)| *f)
        .collect()
}

fn audience(r: &mut Rng, main: Category) -> Audience {
    const GROUPS: &[(Option<u8>, Option<u8>, &str)] = &[
        (
            None,
            Some(4),
            "Babies and pre-school children with their parents or carers",
        ),
        (Some(5), Some(11), "Primary school children"),
        (Some(11), Some(18), "Young people aged 11 to 18"),
        (Some(16), Some(25), "Young adults"),
        (Some(18), None, "Adults"),
        (Some(50), None, "People over 50"),
        (Some(60), None, "Older people"),
        (Some(65), None, "Over 65s living alone"),
        (None, None, "Carers of people living with dementia"),
        (None, None, "Anyone who feels isolated"),
        (Some(18), None, "Men who want to talk"),
        (None, None, "Refugees and people seeking asylum"),
        (Some(18), Some(65), "Adults looking for work"),
    ];
    let p = match main {
        Category::ChildrenFamilies => 0.95,
        Category::Befriending | Category::Carers | Category::CareSupport => 0.7,
        _ => 0.35,
    };
    if !r.chance(p) {
        return Audience::default();
    }
    let (lo, hi, d) = if main == Category::ChildrenFamilies {
        *r.pick(&GROUPS[..4])
    } else {
        *r.pick(GROUPS)
    };
    Audience::new(lo, hi, Some(d.to_owned())).unwrap_or_default()
}

struct Theme {
    /// What the asset is called: "Lunch Club".
    nouns: &'static [&'static str],
    /// What kind of thing it is, after "a": "lunch club for older people".
    what: &'static [&'static str],
    /// Sentences for the description.
    lines: &'static [&'static str],
    tags: &'static [&'static str],
    abcd: &'static [AbcdType],
    related: &'static [Category],
}

const CATEGORY_WEIGHTS: &[(Category, u32)] = &[
    (Category::ArtsHeritage, 8),
    (Category::Befriending, 10),
    (Category::GreenSpaceNature, 9),
    (Category::PhysicalActivitySport, 12),
    (Category::AdviceMoney, 5),
    (Category::Food, 6),
    (Category::MentalWellbeing, 6),
    (Category::Carers, 3),
    (Category::Learning, 6),
    (Category::Faith, 8),
    (Category::HealthServices, 6),
    (Category::VolunteeringWork, 4),
    (Category::ChildrenFamilies, 8),
    (Category::CareSupport, 3),
    (Category::CommunityGroups, 9),
    (Category::PublicServices, 2),
];

mod words;
use words::*;

fn theme(c: Category) -> &'static Theme {
    use AbcdType::*;
    use Category as C;
    match c {
        C::ArtsHeritage => &Theme {
            nouns: ARTS_NOUNS,
            what: ARTS_WHAT,
            lines: ARTS_LINES,
            tags: &[
                "pottery",
                "choir",
                "knitting",
                "local history",
                "photography",
                "drama",
                "ukulele",
                "crafts",
                "sewing",
                "poetry",
            ],
            abcd: &[Association, Culture, PhysicalSpace],
            related: &[C::Learning, C::MentalWellbeing, C::CommunityGroups],
        },
        C::Befriending => &Theme {
            nouns: BEFRIEND_NOUNS,
            what: BEFRIEND_WHAT,
            lines: BEFRIEND_LINES,
            tags: &[
                "coffee morning",
                "tea",
                "chat",
                "bingo",
                "dominoes",
                "lunch",
                "companionship",
                "trips",
            ],
            abcd: &[Association],
            related: &[C::MentalWellbeing, C::Food, C::CareSupport],
        },
        C::GreenSpaceNature => &Theme {
            nouns: GREEN_NOUNS,
            what: GREEN_WHAT,
            lines: GREEN_LINES,
            tags: &[
                "allotment",
                "conservation",
                "birdwatching",
                "tree planting",
                "litter picking",
                "pond",
                "orchard",
                "bees",
                "park",
            ],
            abcd: &[PhysicalSpace, Association],
            related: &[
                C::PhysicalActivitySport,
                C::VolunteeringWork,
                C::MentalWellbeing,
            ],
        },
        C::PhysicalActivitySport => &Theme {
            nouns: SPORT_NOUNS,
            what: SPORT_WHAT,
            lines: SPORT_LINES,
            tags: &[
                "walking football",
                "netball",
                "chair yoga",
                "tai chi",
                "parkrun",
                "cycling",
                "badminton",
                "zumba",
                "pilates",
                "boxing",
            ],
            abcd: &[Association, PhysicalSpace, Economy],
            related: &[C::MentalWellbeing, C::GreenSpaceNature, C::ChildrenFamilies],
        },
        C::AdviceMoney => &Theme {
            nouns: ADVICE_NOUNS,
            what: ADVICE_WHAT,
            lines: ADVICE_LINES,
            tags: &[
                "universal credit",
                "debt advice",
                "energy bills",
                "pension credit",
                "tenancy",
                "form filling",
                "credit union",
            ],
            abcd: &[Institution, Association, Economy],
            related: &[C::PublicServices, C::VolunteeringWork, C::Food],
        },
        C::Food => &Theme {
            nouns: FOOD_NOUNS,
            what: FOOD_WHAT,
            lines: FOOD_LINES,
            tags: &[
                "food bank",
                "community fridge",
                "hot meals",
                "fruit and veg",
                "cooking",
                "breakfast club",
                "pantry",
            ],
            abcd: &[Association, Economy],
            related: &[C::Befriending, C::AdviceMoney, C::ChildrenFamilies],
        },
        C::MentalWellbeing => &Theme {
            nouns: MIND_NOUNS,
            what: MIND_WHAT,
            lines: MIND_LINES,
            tags: &[
                "peer support",
                "mindfulness",
                "anxiety",
                "bereavement",
                "talking therapy",
                "recovery",
                "men's health",
            ],
            abcd: &[Association, Institution],
            related: &[C::Befriending, C::HealthServices, C::ArtsHeritage],
        },
        C::Carers => &Theme {
            nouns: CARERS_NOUNS,
            what: CARERS_WHAT,
            lines: CARERS_LINES,
            tags: &[
                "young carers",
                "respite",
                "dementia",
                "carers allowance",
                "peer support",
                "breaks",
            ],
            abcd: &[Association, Institution],
            related: &[C::CareSupport, C::MentalWellbeing, C::AdviceMoney],
        },
        C::Learning => &Theme {
            nouns: LEARN_NOUNS,
            what: LEARN_WHAT,
            lines: LEARN_LINES,
            tags: &[
                "esol",
                "digital skills",
                "homework club",
                "book club",
                "maths",
                "english",
                "computers",
                "library",
            ],
            abcd: &[Institution, Association],
            related: &[C::ChildrenFamilies, C::VolunteeringWork, C::ArtsHeritage],
        },
        C::Faith => &Theme {
            nouns: FAITH_NOUNS,
            what: FAITH_WHAT,
            lines: FAITH_LINES,
            tags: &[
                "church",
                "mosque",
                "gurdwara",
                "synagogue",
                "prayer",
                "worship",
                "langar",
                "choir",
            ],
            abcd: &[Association, PhysicalSpace],
            related: &[C::Befriending, C::Food, C::CommunityGroups],
        },
        C::HealthServices => &Theme {
            nouns: HEALTH_NOUNS,
            what: HEALTH_WHAT,
            lines: HEALTH_LINES,
            tags: &[
                "gp",
                "pharmacy",
                "defibrillator",
                "blood pressure",
                "vaccinations",
                "dentist",
                "sexual health",
                "stop smoking",
            ],
            abcd: &[Institution],
            related: &[C::MentalWellbeing, C::CareSupport, C::PublicServices],
        },
        C::VolunteeringWork => &Theme {
            nouns: WORK_NOUNS,
            what: WORK_WHAT,
            lines: WORK_LINES,
            tags: &[
                "volunteering",
                "cv help",
                "job club",
                "apprenticeships",
                "work experience",
                "training",
            ],
            abcd: &[Association, Economy, Institution],
            related: &[C::Learning, C::AdviceMoney, C::CommunityGroups],
        },
        C::ChildrenFamilies => &Theme {
            nouns: FAMILY_NOUNS,
            what: FAMILY_WHAT,
            lines: FAMILY_LINES,
            tags: &[
                "stay and play",
                "toddlers",
                "youth club",
                "holiday activities",
                "breastfeeding",
                "dads",
                "send",
            ],
            abcd: &[Association, Institution, PhysicalSpace],
            related: &[C::Learning, C::PhysicalActivitySport, C::Food],
        },
        C::CareSupport => &Theme {
            nouns: CARE_NOUNS,
            what: CARE_WHAT,
            lines: CARE_LINES,
            tags: &[
                "home care",
                "day centre",
                "dementia",
                "disability",
                "respite",
                "care home",
                "reablement",
            ],
            abcd: &[Institution, Economy],
            related: &[C::Carers, C::HealthServices, C::Befriending],
        },
        C::CommunityGroups => &Theme {
            nouns: GROUP_NOUNS,
            what: GROUP_WHAT,
            lines: GROUP_LINES,
            tags: &[
                "residents association",
                "community centre",
                "charity",
                "tenants",
                "newsletter",
                "fundraising",
                "events",
            ],
            abcd: &[Association, PhysicalSpace],
            related: &[C::VolunteeringWork, C::Befriending, C::ArtsHeritage],
        },
        C::PublicServices => &Theme {
            nouns: PUBLIC_NOUNS,
            what: PUBLIC_WHAT,
            lines: PUBLIC_LINES,
            tags: &[
                "council",
                "police",
                "fire safety",
                "recycling",
                "jobcentre",
                "library",
                "registration",
            ],
            abcd: &[Institution, PhysicalSpace],
            related: &[C::AdviceMoney, C::HealthServices, C::Learning],
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_asset_survives_validation_and_text_is_varied() {
        let all = assets(9, 3_000);
        let mut names = HashSet::new();
        let mut words = HashSet::new();
        for a in &all {
            let back = a
                .to_draft()
                .validate(Some((a.location.lon(), a.location.lat())))
                .unwrap();
            assert_eq!(back.name, a.name);
            assert_eq!(back.categories, a.categories);
            assert_eq!(back.opening_times, a.opening_times);
            assert_eq!(back.tags, a.tags);
            assert_eq!(back.access, a.access);
            names.insert(a.name.as_str().to_owned());
            for w in a.description.iter().flat_map(|d| d.split_whitespace()) {
                words.insert(w.to_lowercase());
            }
        }
        assert!(names.len() > 2_000, "only {} distinct names", names.len());
        assert!(words.len() > 1_500, "only {} distinct words", words.len());
    }

    #[test]
    fn frequencies_are_plausible() {
        let all = assets(1, 20_000);
        let share = |p: &dyn Fn(&Asset) -> bool| {
            all.iter().filter(|a| p(a)).count() as f64 / all.len() as f64
        };
        assert!((0.80..0.95).contains(&share(&|a| a.status == Status::Active)));
        assert!((0.1..0.25).contains(&share(&|a| a.cost.is_none())));
        assert!((0.01..0.1).contains(&share(&|a| a
            .opening_times
            .periods()
            .iter()
            .any(|p| p.crosses_midnight() && p.closes() != TimeOfDay::MIDNIGHT))));
        assert!((0.03..0.2).contains(&share(&|a| a.opening_times.by_arrangement())));
        assert!((0.08..0.25).contains(&share(&|a| a.opening_times.is_unknown())));
        assert!((0.2..0.8).contains(&share(
            &|a| a.audience.min_age().is_some() || a.audience.max_age().is_some()
        )));
        assert!(share(&|a| a.postcode.is_some()) > 0.8);
        // Clustered: far more assets within 3 km of Manchester's centre than a uniform spread gives.
        let centre = LonLat::new(-2.2426, 53.4808).unwrap();
        assert!(share(&|a| a.location.distance_m(&centre) < 3_000.0) > 0.05);
        // Shared venues give exactly equal locations.
        let distinct: HashSet<(u64, u64)> = all
            .iter()
            .map(|a| (a.location.lon().to_bits(), a.location.lat().to_bits()))
            .collect();
        assert!(distinct.len() < all.len() - 100);
        // 20,000 assets are generated on several threads: still asset i of (seed, i).
        assert_eq!(all[12_345], asset(1, 12_345));
        assert_eq!(all[19_999], asset(1, 19_999));
    }

    #[test]
    fn seeds_differ() {
        assert_ne!(asset(1, 0), asset(2, 0));
        assert_ne!(asset(1, 0).location, asset(1, 1).location);
    }
}
