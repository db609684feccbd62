//! Probable duplicates across sources: an imported record that another source seems to have
//! already (a library in the council's list and in a charity directory). They are listed for a
//! person to review, never merged.
//!
//! Two assets are a probable duplicate when they share a category (one venue holds many assets
//! of different kinds — a school, its sports hall, its defibrillator — which are not
//! duplicates), their names are alike (a similarity of at least [`NAME_SIMILARITY`]) **and**
//! they are close ([`DUPLICATE_RADIUS_M`] metres or less apart) or share a postcode. Names are compared after lower-casing, `&` → `and`, dropping punctuation
//! and the word "the": by the Dice coefficient of their character trigrams, or as alike as
//! [`CONTAINED_SIMILARITY`] when every word of the shorter name (of two words or more) is in
//! the longer one ("Sale Library" and "Sale Library and Information Centre").
//!
//! # Examples
//! ```
//! use assetmap_io::duplicates::name_similarity;
//! assert!(name_similarity("St. Mary's Church", "St Marys Church") > 0.9);
//! assert!(name_similarity("Sale Library", "Sale Library & Information Centre") >= 0.8);
//! assert!(name_similarity("Sale Library", "Altrincham Library") < 0.6);
//! ```

use assetmap_core::{haversine_m, Asset, AssetId};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// How close two assets must be to be the same place, in metres.
pub const DUPLICATE_RADIUS_M: f64 = 50.0;
/// How alike two names must be (0 to 1).
pub const NAME_SIMILARITY: f64 = 0.6;
/// The similarity given to a name whose words are all in the other.
pub const CONTAINED_SIMILARITY: f64 = 0.8;

/// One imported asset that looks like one already stored from another source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbableDuplicate {
    /// The imported asset.
    pub id: AssetId,
    pub name: String,
    /// The stored asset it looks like.
    pub other_id: AssetId,
    pub other_name: String,
    /// The stored asset's source (`provenance.source`), if it says.
    pub other_source: Option<String>,
    /// Metres apart, to 0.1 m.
    pub distance_m: f64,
    pub same_postcode: bool,
    /// 0 to 1, to two decimals.
    pub name_similarity: f64,
}

/// The probable duplicates of `incoming` among `others` (assets of other sources), in id
/// order, at most one entry per pair.
pub fn probable_duplicates(incoming: &[&Asset], others: &[&Asset]) -> Vec<ProbableDuplicate> {
    if incoming.is_empty() || others.is_empty() {
        return Vec::new();
    }
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    let mut by_postcode: HashMap<String, Vec<usize>> = HashMap::new();
    let prepared: Vec<Prepared> = others
        .iter()
        .map(|a| Prepared::of(a.name.as_ref()))
        .collect();
    for (i, a) in others.iter().enumerate() {
        grid.entry(cell(a)).or_default().push(i);
        if let Some(pc) = &a.postcode {
            by_postcode.entry(pc.to_string()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for a in incoming {
        let mine = Prepared::of(a.name.as_ref());
        let (cx, cy) = cell(a);
        let mut candidates: HashSet<usize> = HashSet::new();
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(v) = grid.get(&(cx + dx, cy + dy)) {
                    candidates.extend(v);
                }
            }
        }
        if let Some(v) = a
            .postcode
            .as_ref()
            .and_then(|pc| by_postcode.get(&pc.to_string()))
        {
            candidates.extend(v);
        }
        let mut found: Vec<ProbableDuplicate> = candidates
            .into_iter()
            .filter_map(|i| {
                let o = &others[i];
                if o.id == a.id {
                    return None;
                }
                let distance = haversine_m(
                    a.location.lon(),
                    a.location.lat(),
                    o.location.lon(),
                    o.location.lat(),
                );
                let same_postcode = a.postcode.is_some() && a.postcode == o.postcode;
                if distance > DUPLICATE_RADIUS_M && !same_postcode {
                    return None;
                }
                // One venue holds many assets (a school, its pitch, its defibrillator, its
                // parents' association): only assets of a kind in common are the same thing.
                if !a.categories.iter().any(|c| o.categories.contains(c)) {
                    return None;
                }
                let similarity = mine.similarity(&prepared[i]);
                (similarity >= NAME_SIMILARITY).then(|| ProbableDuplicate {
                    id: a.id.clone(),
                    name: a.name.to_string(),
                    other_id: o.id.clone(),
                    other_name: o.name.to_string(),
                    other_source: o.provenance.source.clone(),
                    distance_m: (distance * 10.0).round() / 10.0,
                    same_postcode,
                    name_similarity: (similarity * 100.0).round() / 100.0,
                })
            })
            .collect();
        found.sort_by(|x, y| x.other_id.cmp(&y.other_id));
        out.extend(found);
    }
    out.sort_by(|x, y| (&x.id, &x.other_id).cmp(&(&y.id, &y.other_id)));
    out
}

/// The grid cell an asset is in: about 110 m on a side in Britain, so everything within
/// [`DUPLICATE_RADIUS_M`] is in the same or a neighbouring cell (up to 60° of latitude).
fn cell(a: &Asset) -> (i64, i64) {
    const CELL_DEG_LAT: f64 = 0.001;
    const CELL_DEG_LON: f64 = 0.002;
    (
        (a.location.lon() / CELL_DEG_LON).floor() as i64,
        (a.location.lat() / CELL_DEG_LAT).floor() as i64,
    )
}

/// A name ready to compare: its words and its character trigrams.
struct Prepared {
    words: Vec<String>,
    trigrams: HashSet<[char; 3]>,
}

impl Prepared {
    fn of(name: &str) -> Prepared {
        let lowered = name.to_lowercase().replace('&', " and ");
        let words: Vec<String> = lowered
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .map(|w| w.replace('\'', ""))
            .filter(|w| !w.is_empty() && w != "the")
            .collect();
        let joined: Vec<char> = format!("  {} ", words.join(" ")).chars().collect();
        let trigrams = joined.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
        Prepared { words, trigrams }
    }

    fn similarity(&self, other: &Prepared) -> f64 {
        let total = self.trigrams.len() + other.trigrams.len();
        let dice = if total == 0 {
            0.0
        } else {
            2.0 * self.trigrams.intersection(&other.trigrams).count() as f64 / total as f64
        };
        let (short, long) = if self.words.len() <= other.words.len() {
            (&self.words, &other.words)
        } else {
            (&other.words, &self.words)
        };
        let contained = short.len() >= 2 && short.iter().all(|w| long.contains(w));
        if contained {
            dice.max(CONTAINED_SIMILARITY)
        } else {
            dice
        }
    }
}

/// How alike two names are, 0 to 1 (see the module documentation).
pub fn name_similarity(a: &str, b: &str) -> f64 {
    Prepared::of(a).similarity(&Prepared::of(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::AssetDraft;

    fn asset(id: &str, name: &str, at: (f64, f64), postcode: Option<&str>) -> Asset {
        let draft = AssetDraft {
            name: Some(name.into()),
            abcd_type: Some("institution".into()),
            categories: vec!["learning".into()],
            postcode: postcode.map(str::to_owned),
            ..AssetDraft::default()
        };
        Asset::create(
            AssetId::parse(id).unwrap(),
            draft.validate(Some(at)).unwrap(),
            chrono::Utc::now(),
        )
    }

    #[test]
    fn alike_names_close_together_or_at_one_postcode_are_listed() {
        let others = [
            asset("a:1", "Sale Library", (-2.3200, 53.4240), None),
            asset("a:2", "Altrincham Library", (-2.3201, 53.4241), None),
            asset(
                "a:3",
                "Timperley Scout Hut",
                (-2.3500, 53.4000),
                Some("WA15 6AA"),
            ),
        ];
        let incoming = [
            // 22 m from a:1, alike: listed.
            asset(
                "b:1",
                "Sale Library & Information Centre",
                (-2.3203, 53.4241),
                None,
            ),
            // 2 km away, same postcode as a:3, alike: listed.
            asset(
                "b:2",
                "Timperley Scouts Hut",
                (-2.3300, 53.4100),
                Some("WA15 6AA"),
            ),
            // Next to a:1 but another name: not listed.
            asset("b:3", "Sale Leisure Centre", (-2.3200, 53.4240), None),
            // Alike but 300 m away, no shared postcode: not listed.
            asset("b:4", "Sale Library", (-2.3200, 53.4267), None),
        ];
        // The same name at the same point, but another kind of thing (the library's
        // defibrillator): not a duplicate.
        let mut defibrillator = asset("b:5", "Sale Library", (-2.3200, 53.4240), None);
        defibrillator.categories = vec![assetmap_core::Category::HealthServices];
        let incoming: Vec<Asset> = incoming.into_iter().chain([defibrillator]).collect();
        let found = probable_duplicates(
            &incoming.iter().collect::<Vec<_>>(),
            &others.iter().collect::<Vec<_>>(),
        );
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|d| (d.id.as_str(), d.other_id.as_str()))
            .collect();
        assert_eq!(pairs, [("b:1", "a:1"), ("b:2", "a:3")], "{found:#?}");
        assert!(found[0].distance_m > 15.0 && found[0].distance_m < 30.0);
        assert!(found[1].same_postcode && found[1].distance_m > 1000.0);
    }

    #[test]
    fn nothing_to_compare_finds_nothing() {
        let a = asset("a:1", "Hall", (-2.3, 53.4), None);
        assert!(probable_duplicates(&[], &[&a]).is_empty());
        assert!(probable_duplicates(&[&a], &[]).is_empty());
        // An asset is not its own duplicate.
        assert!(probable_duplicates(&[&a], &[&a]).is_empty());
    }
}
