//! What the staff routes say: an asset's history as versions and field changes, proposals,
//! accounts — the JSON of `/collections/assets/items/{id}/history`, `/proposals`, `/accounts`
//! and the `202` a steward's reviewed change gets. Shared by the route files that answer them.

use crate::errors::ApiError;
use crate::state::AppState;
use assetmap_core::{Asset, Via};
use assetmap_store::{Account, ChangeKind, HistoryEntry, Proposal, Suggestion, SuggestionKind};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Fields that change on every write and say nothing about what changed.
const BOOKKEEPING: [&str; 3] = ["version", "updated_at", "created_at"];

/// The fields that differ between two states of an asset, as `{"field", "before", "after"}`
/// in property order, with `geometry` (`[lon, lat]`) for the location. `None` is "no asset"
/// (before a creation, after a deletion): every field of the other side is listed.
pub fn field_changes(before: Option<&Asset>, after: Option<&Asset>) -> Vec<Value> {
    let b = before.map(fields).unwrap_or_default();
    let a = after.map(fields).unwrap_or_default();
    let mut names: Vec<&String> = b.keys().chain(a.keys()).collect();
    names.sort_by_key(|n| field_order(n));
    names.dedup();
    names
        .into_iter()
        .filter(|n| !BOOKKEEPING.contains(&n.as_str()))
        .filter_map(|n| {
            let (x, y) = (b.get(n), a.get(n));
            (x != y).then(|| {
                json!({"field": n, "before": x.cloned().unwrap_or(Value::Null), "after": y.cloned().unwrap_or(Value::Null)})
            })
        })
        .collect()
}

/// An asset's wire properties plus `geometry`, as compared by [`field_changes`].
fn fields(asset: &Asset) -> Map<String, Value> {
    let feature = assetmap_io::asset_to_feature(asset);
    let mut m = match feature.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        _ => Map::new(),
    };
    m.insert(
        "geometry".into(),
        json!([asset.location.lon(), asset.location.lat()]),
    );
    m
}

/// Where a field is listed: the order of the feature's properties as documented, then any
/// other in name order.
fn field_order(name: &str) -> (usize, String) {
    let known = assetmap_io::geojson::PROPERTY_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| i + 1)
        .unwrap_or(if name == "geometry" { 0 } else { usize::MAX });
    (known, name.to_owned())
}

/// The state of the asset after each entry of its history (`entries` oldest first), where it
/// is known: the next entry's `before`, or `current` after the last; `None` after a deletion
/// and where the history does not say (changes made before history was kept).
pub fn states_after(entries: &[HistoryEntry], current: Option<&Asset>) -> Vec<Option<Asset>> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if e.kind == ChangeKind::Delete {
                return None;
            }
            let next = match entries.get(i + 1) {
                Some(n) => n.before.as_ref(),
                None => current,
            };
            next.filter(|a| a.version == e.version).cloned()
        })
        .collect()
}

/// The asset as it was at `version` (its latest life under the id), if the history knows it.
pub fn state_at(
    entries: &[HistoryEntry],
    current: Option<&Asset>,
    version: u64,
) -> Option<Option<Asset>> {
    let states = states_after(entries, current);
    entries
        .iter()
        .zip(states)
        .rev()
        .find(|(e, _)| e.kind == ChangeKind::Upsert && e.version == version)
        .map(|(_, s)| s)
}

/// Names for the accounts and tokens history credits, looked up once per answer.
pub struct Names {
    accounts: HashMap<String, String>,
    tokens: HashMap<String, String>,
}

impl Names {
    /// Every account's and token's name (staff lists are short).
    pub async fn load(state: &AppState) -> Result<Names, ApiError> {
        let accounts = state
            .store
            .accounts()
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        let tokens = state
            .store
            .tokens()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        Ok(Names { accounts, tokens })
    }

    /// `{"account": id or null, "name": words}` for a change's author.
    pub fn by(&self, account: Option<&str>) -> Value {
        let name = match account {
            None => "the system (import, first load or the bootstrap admin token)".to_owned(),
            Some(a) => match a.strip_prefix("token:") {
                Some(t) => format!(
                    "API token '{}'",
                    self.tokens.get(t).map(String::as_str).unwrap_or(t)
                ),
                None => self
                    .accounts
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| format!("account {a}")),
            },
        };
        json!({"account": account, "name": name})
    }
}

/// One entry of an asset's history as the history route answers it.
pub fn entry_json(e: &HistoryEntry, after: Option<&Asset>, names: &Names) -> Value {
    let kind = match (e.kind, &e.before) {
        (ChangeKind::Delete, _) => "delete",
        (ChangeKind::Upsert, None) if e.version == 1 => "create",
        (ChangeKind::Upsert, None) if e.by.via == Via::Unrecorded => "update",
        (ChangeKind::Upsert, None) => "create",
        (ChangeKind::Upsert, Some(_)) => "update",
    };
    let known = e.kind == ChangeKind::Delete || after.is_some();
    json!({
        "seq": e.seq,
        "version": e.version,
        "kind": kind,
        "at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "via": e.by.via.to_text(),
        "by": names.by(e.by.account.as_deref()),
        "restorable": e.kind == ChangeKind::Upsert && after.is_some(),
        "known": known,
        "changes": if known { field_changes(e.before.as_ref(), after) } else { Vec::new() },
    })
}

/// A proposal as the history and proposals routes answer it: what it would change against
/// `current` (the stored asset now).
pub fn proposal_json(p: &Proposal, current: Option<&Asset>, names: &Names) -> Value {
    let state = match &p.decision {
        None => "waiting",
        Some(d) if d.accepted => "accepted",
        Some(_) => "rejected",
    };
    json!({
        "id": p.id,
        "asset": p.asset.id.as_str(),
        "asset_name": p.asset.name.as_str(),
        "at": p.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "by": names.by(Some(&p.by)),
        "state": state,
        "base_version": p.asset.version.saturating_sub(1),
        "decided_by": p.decision.as_ref().map(|d| names.by(d.by.as_deref())),
        "decided_at": p.decision.as_ref().map(|d| d.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "reason": p.decision.as_ref().and_then(|d| d.reason.clone()),
        "changes": field_changes(current, Some(&p.asset)),
    })
}

/// A suggestion as the suggestions routes answer it: what it would change against `current`
/// (the place as listed now; `None` for a new place, or one deleted since), as the history's
/// field changes. `contact_kept` is how long a contact outlives the decision.
pub fn suggestion_json(
    s: &Suggestion,
    current: Option<&Asset>,
    names: &Names,
    contact_kept: chrono::Duration,
) -> Value {
    let at =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let state = match &s.decision {
        None => "waiting",
        Some(d) if d.accepted => "accepted",
        Some(_) => "rejected",
    };
    let suggested = crate::suggest::suggested_fields(s);
    let now = current.map(fields).unwrap_or_default();
    let mut names_changed: Vec<&String> = suggested.keys().collect();
    names_changed.sort_by_key(|n| field_order(n));
    let changes: Vec<Value> = names_changed
        .into_iter()
        .filter_map(|n| {
            let before = now.get(n).cloned().unwrap_or(Value::Null);
            let after = suggested.get(n).cloned().unwrap_or(Value::Null);
            (before != after).then(|| json!({"field": n, "before": before, "after": after}))
        })
        .collect();
    let location = suggested
        .get("geometry")
        .cloned()
        .or_else(|| current.map(|c| json!([c.location.lon(), c.location.lat()])));
    let mut out = json!({
        "id": s.id,
        "kind": s.kind.as_str(),
        "at": at(&s.at),
        "state": state,
        "note": s.note,
        "fields": suggested.keys().collect::<Vec<_>>(),
        "changes": changes,
        "suggested": s.changes,
    });
    let o = out.as_object_mut().expect("an object");
    if let Some(a) = &s.asset {
        o.insert("asset".into(), json!(a.as_str()));
    }
    if let Some(c) = current {
        o.insert("asset_name".into(), json!(c.name.as_str()));
        if s.kind != SuggestionKind::New {
            o.insert("current_version".into(), json!(c.version));
        }
    }
    if let Some(v) = s.base_version {
        o.insert("base_version".into(), json!(v));
    }
    if let Some(l) = location {
        o.insert("location".into(), l);
    }
    if let Some(c) = &s.contact {
        o.insert("contact".into(), json!(c));
        if let Some(d) = &s.decision {
            o.insert(
                "contact_erased_after".into(),
                json!(at(&(d.at + contact_kept))),
            );
        }
    }
    if let Some(d) = &s.decision {
        let mut decision =
            json!({"accepted": d.accepted, "by": names.by(d.by.as_deref()), "at": at(&d.at)});
        if let Some(r) = &d.reason {
            decision["reason"] = json!(r);
        }
        o.insert("decision".into(), decision);
    }
    out
}

/// The reason a reviewer gives for rejecting a proposal or a suggestion: the body
/// `{"reason": "…"}`, trimmed, 1 to 1,000 characters, or a `400` naming `reason` and saying
/// who reads it (`read_by`, e.g. "the steward sees it").
pub fn rejection_reason(
    req: &actix_web::HttpRequest,
    body: &[u8],
    read_by: &str,
) -> Result<String, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Rejection {
        reason: String,
    }
    let r: Rejection = crate::http::json_body(req, body, r#"{"reason": "…"}"#)?;
    let reason = r.reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ApiError::invalid_fields(
            "decision",
            vec![(
                "reason".into(),
                format!("say why in 1 to 1,000 characters; {read_by}"),
            )],
        ));
    }
    Ok(reason.to_owned())
}

/// An account as the staff routes show it (never its password hash).
pub fn account_json(a: &Account) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "email": a.email,
        "role": a.role.as_str(),
        "disabled": a.disabled,
        "created_at": a.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "stewardships": a.stewardships.iter().map(|s| json!({"asset": s.asset.as_str(), "review": s.review})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::{AssetDraft, AssetId, ChangeBy};
    use chrono::{TimeZone, Utc};

    fn asset(name: &str) -> Asset {
        let draft = AssetDraft {
            name: Some(name.into()),
            abcd_type: Some("association".into()),
            categories: vec!["food".into()],
            ..AssetDraft::default()
        };
        let valid = draft.validate(Some((-2.3, 53.4))).expect("valid");
        let t = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("time");
        Asset::create(AssetId::parse("a").expect("id"), valid, t)
    }

    fn renamed(a: &Asset, name: &str) -> Asset {
        let mut d = a.to_draft();
        d.name = Some(name.into());
        let valid = d
            .validate(Some((a.location.lon(), a.location.lat())))
            .expect("valid");
        a.replaced_by(valid, a.updated_at + chrono::Duration::seconds(1))
    }

    fn entry(seq: u64, kind: ChangeKind, version: u64, before: Option<&Asset>) -> HistoryEntry {
        HistoryEntry {
            seq,
            id: AssetId::parse("a").expect("id"),
            kind,
            version,
            at: Utc::now(),
            by: ChangeBy::system(Via::Api),
            before: before.cloned(),
        }
    }

    #[test]
    fn changes_list_only_what_differs_and_not_the_bookkeeping() {
        let v1 = asset("Sale Singers");
        let v2 = renamed(&v1, "Sale Singers (Tuesdays)");
        let c = field_changes(Some(&v1), Some(&v2));
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0]["field"], "name");
        assert_eq!(c[0]["before"], "Sale Singers");
        assert_eq!(c[0]["after"], "Sale Singers (Tuesdays)");
        let created = field_changes(None, Some(&v1));
        assert!(created.iter().any(|c| c["field"] == "geometry"));
        assert!(created.iter().all(|c| c["before"].is_null()));
        assert_eq!(created[0]["field"], "geometry");
    }

    #[test]
    fn states_come_from_the_next_entrys_before_or_the_current_asset() {
        let v1 = asset("One");
        let v2 = renamed(&v1, "Two");
        let v3 = renamed(&v2, "Three");
        let entries = vec![
            entry(1, ChangeKind::Upsert, 1, None),
            entry(2, ChangeKind::Upsert, 2, Some(&v1)),
            entry(3, ChangeKind::Upsert, 3, Some(&v2)),
            entry(4, ChangeKind::Delete, 3, Some(&v3)),
        ];
        let states = states_after(&entries, None);
        assert_eq!(states[0].as_ref().map(|a| a.name.as_str()), Some("One"));
        assert_eq!(states[1].as_ref().map(|a| a.name.as_str()), Some("Two"));
        assert_eq!(states[2].as_ref().map(|a| a.name.as_str()), Some("Three"));
        assert_eq!(states[3], None);
        assert_eq!(
            state_at(&entries, None, 2)
                .flatten()
                .map(|a| a.name.to_string()),
            Some("Two".to_owned())
        );
        assert_eq!(state_at(&entries, None, 9), None);
        // Before history was kept: the state after an unrecorded change is unknown.
        let old = vec![
            entry(1, ChangeKind::Upsert, 1, None),
            entry(2, ChangeKind::Upsert, 2, None),
        ];
        let states = states_after(&old, Some(&v2));
        assert_eq!(states[0], None);
        assert_eq!(states[1].as_ref().map(|a| a.version), Some(2));
    }
}
