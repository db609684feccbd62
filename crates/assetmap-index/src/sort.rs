//! `sortby` (OGC API Features Part 8, "Sorting"): the order of an asset list by one or more
//! properties, each ascending or descending, and one page of a list in that order.
//!
//! Names compare without regard to case; an asset without the value (no postcode, never
//! verified) comes after those with one, in either direction; equal keys fall back to the id, so
//! the order is total and paging never shows an asset twice or skips one.

use crate::error::IndexError;
use crate::Page;
use assetmap_core::Asset;
use std::cmp::Ordering;

/// A property assets can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Id,
    Name,
    Postcode,
    Status,
    CreatedAt,
    UpdatedAt,
    VerifiedAt,
}

impl SortField {
    /// Every sortable property, with its name in the API.
    pub const ALL: [(SortField, &'static str); 7] = [
        (SortField::Id, "id"),
        (SortField::Name, "name"),
        (SortField::Postcode, "postcode"),
        (SortField::Status, "status"),
        (SortField::CreatedAt, "created_at"),
        (SortField::UpdatedAt, "updated_at"),
        (SortField::VerifiedAt, "verified_at"),
    ];

    fn parse(name: &str) -> Option<SortField> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// `a` against `b` by this field, ascending; `None` when either lacks the value.
    fn compare(self, a: &Asset, b: &Asset) -> Option<Ordering> {
        fn both<T: Ord>(x: Option<T>, y: Option<T>) -> Option<Ordering> {
            Some(x?.cmp(&y?))
        }
        match self {
            SortField::Id => Some(a.id.cmp(&b.id)),
            SortField::Name => Some(
                a.name
                    .as_str()
                    .to_lowercase()
                    .cmp(&b.name.as_str().to_lowercase()),
            ),
            SortField::Postcode => both(
                a.postcode.as_ref().map(|p| p.as_str()),
                b.postcode.as_ref().map(|p| p.as_str()),
            ),
            SortField::Status => Some(a.status.slug().cmp(b.status.slug())),
            SortField::CreatedAt => Some(a.created_at.cmp(&b.created_at)),
            SortField::UpdatedAt => Some(a.updated_at.cmp(&b.updated_at)),
            SortField::VerifiedAt => both(a.verified_at, b.verified_at),
        }
    }

    fn present(self, a: &Asset) -> bool {
        match self {
            SortField::Postcode => a.postcode.is_some(),
            SortField::VerifiedAt => a.verified_at.is_some(),
            _ => true,
        }
    }
}

/// One key of a sort: a field, ascending unless `descending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

/// An order of assets: keys in priority order (the id breaks the last tie).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SortBy(pub Vec<SortKey>);

impl SortBy {
    /// Parses `sortby`: comma-separated property names, each optionally prefixed with `+`
    /// (ascending, the default) or `-` (descending), e.g. `name` or `-updated_at,name`.
    ///
    /// ```
    /// use assetmap_index::sort::{SortBy, SortField};
    /// let s = SortBy::parse_ogc("-updated_at, name").unwrap();
    /// assert_eq!(s.0[0].field, SortField::UpdatedAt);
    /// assert!(s.0[0].descending && !s.0[1].descending);
    /// assert!(SortBy::parse_ogc("colour").is_err());
    /// ```
    pub fn parse_ogc(input: &str) -> Result<SortBy, IndexError> {
        let mut keys = Vec::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (descending, name) = match part.as_bytes()[0] {
                b'-' => (true, &part[1..]),
                b'+' => (false, &part[1..]),
                _ => (false, part),
            };
            let field = SortField::parse(name.trim()).ok_or_else(|| IndexError::SortBy {
                input: input.to_owned(),
                problem: format!("{name:?} is not a property assets can be sorted by"),
            })?;
            keys.push(SortKey { field, descending });
        }
        Ok(SortBy(keys))
    }

    /// `a` against `b` in this order.
    pub fn compare(&self, a: &Asset, b: &Asset) -> Ordering {
        for key in &self.0 {
            let ordering = match (key.field.present(a), key.field.present(b)) {
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => Ordering::Equal,
                (true, true) => {
                    let o = key.field.compare(a, b).unwrap_or(Ordering::Equal);
                    if key.descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a.id.cmp(&b.id)
    }

    /// One page (from `offset`, at most `limit`) of `matching` in this order, with how many
    /// there are in all.
    pub fn page(&self, mut matching: Vec<Asset>, offset: usize, limit: usize) -> Page {
        matching.sort_unstable_by(|a, b| self.compare(a, b));
        Page::of(matching, offset, limit)
    }
}
