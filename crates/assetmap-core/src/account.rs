//! The people who keep the map, and how a change was made: staff roles, what each may change,
//! and the attribution every change carries into the asset's history.
//!
//! Staff accounts hold the minimum — a name, an e-mail address and a role. Nothing here is
//! about the people a coordinator helps; they never have an account.

use crate::AssetId;
use std::fmt;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages accounts, tokens and settings; may also change every asset.
    Admin,
    /// Changes every asset, reviews stewards' changes, invites stewards, restores versions.
    Editor,
    /// Changes only the assets given to it — a community group keeping its own listing.
    Steward,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Steward];

    /// The role's name on the wire and in the store: `admin`, `editor`, `steward`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Steward => "steward",
        }
    }

    /// Reads a role name (case-insensitive, surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Role, String> {
        let t = text.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| format!("{text:?} is not a role; use admin, editor or steward"))
    }

    /// Whether the role may change any asset (admin, editor); a steward changes only its own.
    pub fn edits_every_asset(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }

    /// Whether the role manages accounts and API tokens (admin).
    pub fn manages_accounts(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a change reached the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Via {
    /// A request to the HTTP API with a bearer token (a script, or the bootstrap admin token).
    Api,
    /// The editing page, signed in with a session.
    Page,
    /// An import run (`assetmap import`), from the named source.
    Import(String),
    /// The data a store was seeded with on its first start, or `insert_many` from a tool.
    Seed,
    /// Restoring the asset as it was at this version (itself a new version).
    Restore(u64),
    /// Accepting a steward's proposed change, the proposal with this number.
    Review(u64),
    /// Accepting a suggestion from the public, the suggestion with this number.
    Suggestion(u64),
    /// Someone confirmed the details are still right (only `verified_at` changes).
    Verify,
    /// Made before the store kept history (a store upgraded from an earlier schema).
    Unrecorded,
}

impl Via {
    /// The stored form: `api`, `page`, `import:<source>`, `seed`, `restore:<version>`,
    /// `review:<proposal>`, `suggestion:<n>`, `verify`, `unrecorded`.
    pub fn to_text(&self) -> String {
        match self {
            Via::Api => "api".into(),
            Via::Page => "page".into(),
            Via::Import(source) => format!("import:{source}"),
            Via::Seed => "seed".into(),
            Via::Restore(v) => format!("restore:{v}"),
            Via::Review(p) => format!("review:{p}"),
            Via::Suggestion(n) => format!("suggestion:{n}"),
            Via::Verify => "verify".into(),
            Via::Unrecorded => "unrecorded".into(),
        }
    }

    /// Reads the stored form back ([`Via::to_text`]).
    pub fn parse(text: &str) -> Result<Via, String> {
        let number = |n: &str| {
            n.parse::<u64>()
                .map_err(|_| format!("{text:?}: {n:?} is not a whole number"))
        };
        match text.split_once(':') {
            None => match text {
                "api" => Ok(Via::Api),
                "page" => Ok(Via::Page),
                "seed" => Ok(Via::Seed),
                "verify" => Ok(Via::Verify),
                "unrecorded" => Ok(Via::Unrecorded),
                _ => Err(format!("{text:?} is not a way a change is made")),
            },
            Some(("import", source)) if !source.is_empty() => Ok(Via::Import(source.to_owned())),
            Some(("restore", v)) => Ok(Via::Restore(number(v)?)),
            Some(("review", p)) => Ok(Via::Review(number(p)?)),
            Some(("suggestion", n)) => Ok(Via::Suggestion(number(n)?)),
            Some(_) => Err(format!("{text:?} is not a way a change is made")),
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Who made a change and how: what every change records in the asset's history.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChangeBy {
    /// The account's id; `None` for the bootstrap admin token, an import or the first seeding.
    pub account: Option<String>,
    pub via: Via,
}

impl ChangeBy {
    /// A change with no account behind it (an import, the seeding, the bootstrap token).
    pub fn system(via: Via) -> ChangeBy {
        ChangeBy { account: None, via }
    }

    /// A change by an account.
    pub fn account(id: impl Into<String>, via: Via) -> ChangeBy {
        ChangeBy {
            account: Some(id.into()),
            via,
        }
    }
}

/// Whether an account with `role`, stewarding `stewarded` assets, may change `asset`.
///
/// Admins and editors change every asset; a steward only those it was given. Creating a new
/// asset (no id yet) is for admins and editors.
pub fn may_change(role: Role, stewarded: &[AssetId], asset: Option<&AssetId>) -> bool {
    if role.edits_every_asset() {
        return true;
    }
    match asset {
        Some(id) => stewarded.contains(id),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_ways_read_back_what_they_write() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(Role::parse(" Editor "), Ok(Role::Editor));
        assert!(Role::parse("owner").is_err());
        for v in [
            Via::Api,
            Via::Page,
            Via::Seed,
            Via::Import("trafford-libraries".into()),
            Via::Restore(3),
            Via::Review(12),
            Via::Suggestion(7),
            Via::Verify,
            Via::Unrecorded,
        ] {
            assert_eq!(Via::parse(&v.to_text()), Ok(v));
        }
        for bad in [
            "",
            "import:",
            "restore:x",
            "review:",
            "suggestion:-1",
            "web",
            "api:1",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_steward_changes_only_its_own_assets() {
        let mine = AssetId::parse("mine").unwrap();
        let other = AssetId::parse("other").unwrap();
        let own = std::slice::from_ref(&mine);
        assert!(may_change(Role::Steward, own, Some(&mine)));
        assert!(!may_change(Role::Steward, own, Some(&other)));
        assert!(!may_change(Role::Steward, own, None));
        assert!(may_change(Role::Editor, &[], Some(&other)));
        assert!(may_change(Role::Editor, &[], None));
        assert!(may_change(Role::Admin, &[], None));
    }
}
