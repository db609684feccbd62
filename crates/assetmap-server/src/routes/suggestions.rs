//! Suggestions from the public and the editors' queue: `POST /suggestions` (anyone, no
//! account), `GET /suggestions/policy`, and for staff `GET /suggestions` (JSON or CSV),
//! `GET /suggestions/{n}`, `POST /suggestions/{n}/accept` and `…/reject`.
//!
//! What a suggestion says reaches the map only when an editor accepts it: the write goes
//! through the same audited path as any edit ([`AppState::write`]) with
//! [`Via::Suggestion`], which marks the suggestion accepted in the same transaction. A
//! suggester's contact is erased [`crate::config::Settings::suggestion_contact_days`] after the
//! decision ([`erase_overdue_contacts`], run before every read of the queue and on a timer).

use crate::auth::Principal;
use crate::errors::ApiError;
use crate::http::{
    base_url, client_ip, feature_answer, if_match_version, json_body, no_store_json,
    require_version,
};
use crate::params::Params;
use crate::staff::{rejection_reason, suggestion_json, Names};
use crate::state::AppState;
use crate::suggest::{self, Form, MAX_BODY_BYTES, MAX_WAITING};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{Asset, AssetId, Role, Via};
use assetmap_io::export::{Cell, CellType, Table, TableColumn, TableRow};
use assetmap_store::{Suggestion, SuggestionKind, SuggestionQuery, Write};
use chrono::Utc;
use serde_json::{json, Value};
use std::time::Duration;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/suggestions")
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/suggestions/policy").route(web::get().to(policy)))
    .service(web::resource("/suggestions/{n}").route(web::get().to(one)))
    .service(web::resource("/suggestions/{n}/accept").route(web::post().to(accept)))
    .service(web::resource("/suggestions/{n}/reject").route(web::post().to(reject)));
}

/// Whole days a contact is kept after the decision, for telling people (at least 1 when
/// fractions are set, as in tests).
fn contact_kept_days(state: &AppState) -> u64 {
    (state.settings.suggestion_contact_days.ceil() as u64).max(1)
}

async fn policy(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    Ok(HttpResponse::Ok().json(json!({
        "contact_kept_days": contact_kept_days(&state),
        "per_hour": state.settings.suggestions_per_hour,
        "properties": suggest::PROPERTIES,
        "max_note_chars": suggest::MAX_NOTE_CHARS,
        "max_contact_chars": suggest::MAX_CONTACT_CHARS,
    })))
}

async fn create(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    if let Some(ip) = client_ip(&req) {
        state.rate_limits.admit_suggestion(ip)?;
    }
    let form: Form = json_body(
        &req,
        &body,
        r#"{"kind": "change", "asset": "…", "properties": {…}, "note": "…"}"#,
    )?;
    let current = match form.asset.as_deref() {
        None => None,
        Some(raw) => {
            let id = AssetId::parse(raw).map_err(|e| {
                ApiError::invalid_fields("suggestion", vec![("asset".into(), e.problem)])
            })?;
            let found = state.engine().get(&id);
            Some(found.ok_or_else(|| {
                ApiError::not_found(format!(
                    "There is no listed place with id '{id}'; to add a place we are missing, send kind \"new\" without an asset."
                ))
            })?)
        }
    };
    let now = Utc::now();
    let new = suggest::check(form, current.as_ref(), now)
        .map_err(|p| ApiError::invalid_fields("suggestion", p))?;
    let (waiting, _) = state.store.waiting_suggestions().await?;
    if waiting >= MAX_WAITING {
        return Err(ApiError::unavailable(
            "So many suggestions are waiting for the editors that no more are taken for now; please try again later.",
            3600,
        ));
    }
    let id = state.store.add_suggestion(&new).await?;
    let days = contact_kept_days(&state);
    Ok(no_store_json(
        StatusCode::ACCEPTED,
        json!({
            "id": id,
            "detail": format!(
                "Thank you. An editor will look at your suggestion; nothing changes on the map until they have. {}",
                if new.contact.is_some() {
                    format!("We keep the contact you gave until then, and {days} days after, then erase it.")
                } else {
                    String::new()
                }
            ).trim_end().to_owned(),
            "contact_kept_days": days,
        }),
    ))
}

/// Erases the contacts of suggestions decided longer ago than the settings keep them.
pub async fn erase_overdue_contacts(state: &AppState) -> Result<u64, ApiError> {
    let before = Utc::now() - state.settings.suggestion_contact_kept();
    Ok(state.store.erase_contacts(before).await?)
}

/// Erases overdue contacts for ever, every half of the keeping time (at least every second,
/// at most every hour), so they go even when nobody reads the queue.
pub async fn keep_erasing_contacts(state: std::sync::Arc<AppState>) {
    let kept = state
        .settings
        .suggestion_contact_kept()
        .to_std()
        .unwrap_or(Duration::from_secs(3600));
    let every = (kept / 2).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    loop {
        if let Err(e) = erase_overdue_contacts(&state).await {
            tracing::warn!(error = %e.detail(), "could not erase overdue suggestion contacts; will try again");
        }
        tokio::time::sleep(every).await;
    }
}

/// Whether `who` may see (and decide) suggestion `s`: editors every one; a steward those
/// about the places it keeps.
fn may_see(who: &Principal, s: &Suggestion) -> bool {
    who.role.edits_every_asset() || s.asset.as_ref().is_some_and(|a| who.may_see_history(a))
}

async fn list(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["state", "asset", "f"])?;
    let waiting_only = match p.one_as_given("state")? {
        None | Some("waiting") => true,
        Some("all") => false,
        Some(other) => {
            return Err(ApiError::bad_param(
                "state",
                format!("{other:?} is not waiting or all"),
            ))
        }
    };
    let csv = match p.one_as_given("f")? {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_param(
                "f",
                format!("{other:?} is not json or csv"),
            ))
        }
    };
    let asset = p
        .one_as_given("asset")?
        .map(|raw| AssetId::parse(raw).map_err(|e| ApiError::bad_param("asset", e.problem)))
        .transpose()?;
    erase_overdue_contacts(&state).await?;
    let visible: Vec<Suggestion> = state
        .store
        .suggestions(SuggestionQuery {
            asset: asset.as_ref(),
            waiting_only,
        })
        .await?
        .into_iter()
        .filter(|s| may_see(&who, s))
        .collect();
    let names = Names::load(&state).await?;
    let kept = state.settings.suggestion_contact_kept();
    let listed: Vec<Value> = {
        let engine = state.engine();
        visible
            .iter()
            .map(|s| {
                let current = s.asset.as_ref().and_then(|a| engine.get(a));
                suggestion_json(s, current.as_ref(), &names, kept)
            })
            .collect()
    };
    if csv {
        return csv_answer(&listed);
    }
    // Every waiting one is in what was read (waiting or all, oldest first).
    let waiting: Vec<&Suggestion> = visible.iter().filter(|s| s.decision.is_none()).collect();
    let mut body = json!({ "waiting": waiting.len(), "suggestions": listed });
    if let Some(t) = waiting.first().map(|s| s.at) {
        body["oldest_waiting_at"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    Ok(no_store_json(StatusCode::OK, body))
}

/// The queue as CSV, one row per suggestion, for a spreadsheet: through the export's CSV
/// writer, so a note that begins with `=` stays text.
fn csv_answer(listed: &[Value]) -> Result<HttpResponse, ApiError> {
    const COLUMNS: [&str; 12] = [
        "id",
        "kind",
        "state",
        "at",
        "asset",
        "asset_name",
        "fields",
        "note",
        "contact",
        "decided_at",
        "decided_by",
        "reason",
    ];
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let rows = listed
        .iter()
        .map(|s| {
            let fields = s["fields"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default();
            let cells = vec![
                text(s.get("id")),
                text(s.get("kind")),
                text(s.get("state")),
                text(s.get("at")),
                text(s.get("asset")),
                text(s.get("asset_name")),
                fields,
                text(s.get("note")),
                text(s.get("contact")),
                text(s.pointer("/decision/at")),
                text(s.pointer("/decision/by/name")),
                text(s.pointer("/decision/reason")),
            ];
            TableRow {
                geometry: Value::Null,
                cells: cells.into_iter().map(Cell::Text).collect(),
            }
        })
        .collect();
    let table = Table {
        columns: COLUMNS
            .iter()
            .map(|c| TableColumn {
                name: (*c).to_owned(),
                ty: CellType::Text,
            })
            .collect(),
        rows,
    };
    let out =
        assetmap_io::export::csv::write_table(Vec::new(), &table).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"suggestions.csv\"",
        ))
        .body(out))
}

/// Suggestion `n`, if `who` may see it (`404` otherwise: whether it exists is not said).
async fn visible(state: &AppState, who: &Principal, n: u64) -> Result<Suggestion, ApiError> {
    state
        .store
        .suggestion(n)
        .await?
        .filter(|s| may_see(who, s))
        .ok_or_else(|| ApiError::not_found(format!("There is no suggestion {n} for you to see.")))
}

async fn answer_one(state: &AppState, s: &Suggestion) -> Result<HttpResponse, ApiError> {
    let names = Names::load(state).await?;
    let current = s.asset.as_ref().and_then(|a| state.engine().get(a));
    Ok(no_store_json(
        StatusCode::OK,
        suggestion_json(
            s,
            current.as_ref(),
            &names,
            state.settings.suggestion_contact_kept(),
        ),
    ))
}

async fn one(
    req: HttpRequest,
    who: Principal,
    path: web::Path<u64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    erase_overdue_contacts(&state).await?;
    let s = visible(&state, &who, path.into_inner()).await?;
    answer_one(&state, &s).await
}

/// `Ok` when `who` may decide `s`: editors; a steward for its own place when its changes
/// publish at once (a new place is for editors).
fn may_decide(who: &Principal, s: &Suggestion) -> Result<(), ApiError> {
    match &s.asset {
        Some(a) if s.kind != SuggestionKind::New => {
            who.require_change(Some(a))?;
            if who.needs_review(a) {
                return Err(ApiError::forbidden(
                    "Your changes to this place wait for an editor's review, so deciding suggestions about it is for an editor; you can edit the place yourself, which sends your change for review.",
                ));
            }
            Ok(())
        }
        _ => who.require(Role::Editor),
    }
}

async fn accept(
    who: Principal,
    req: HttpRequest,
    path: web::Path<u64>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let n = path.into_inner();
    let edited = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(crate::routes::items::feature_body(&req, &body)?)
    };
    let expected = if_match_version(&req)?;
    let _guard = state.lock_writes().await?;
    let s = visible(&state, &who, n).await?;
    may_decide(&who, &s)?;
    if let Some(d) = &s.decision {
        return Err(ApiError::conflict(format!(
            "Suggestion {n} was already {}.",
            if d.accepted { "accepted" } else { "rejected" }
        )));
    }
    let current = match (&s.asset, s.kind) {
        (Some(id), SuggestionKind::Change | SuggestionKind::Closed) => {
            Some(state.store.get(id).await?.ok_or_else(|| {
                ApiError::conflict(format!(
                    "The place '{id}' was deleted since the suggestion was made; reject it, or restore the place first."
                ))
            })?)
        }
        _ => None,
    };
    if let Some(c) = &current {
        require_version(
            &c.id,
            expected,
            c.version,
            "Look at the suggestion against the place again before accepting it.",
        )?;
    }
    // The editor's edited version, or the suggestion as it is.
    let (feature_id, feature) = match edited {
        Some(input) => (input.id.clone(), input),
        None => {
            let f = suggest::accepted_feature(current.as_ref(), &s);
            let input =
                assetmap_io::draft_from_feature(f).map_err(|e| ApiError::invalid_body(&e))?;
            (None, input)
        }
    };
    let valid = feature.draft.validate(feature.location).map_err(|e| {
        let mut e = ApiError::invalid_body(&e);
        if s.kind == SuggestionKind::New {
            e = e.with_more_detail(
                " A suggested place lacks what only an editor can say (its ABCD type, its categories): edit it, then accept.",
            );
        }
        e
    })?;
    let now = Utc::now();
    let today = assetmap_core::uk_time::uk_local(now).date();
    let by = who.change_by(Some(Via::Suggestion(n)));
    match current {
        Some(c) => {
            if let Some(body_id) = &feature_id {
                if *body_id != c.id {
                    return Err(ApiError::bad_request(format!(
                        "The feature's id '{body_id}' is not the place the suggestion is about ('{}'); leave it out or make them match.",
                        c.id
                    )));
                }
            }
            // Deciding a suggestion is a check of the place: it is confirmed today.
            let next = Asset {
                verified_at: Some(today),
                ..c.replaced_by(valid, now)
            };
            state
                .write(Write::Replace(&next), &by, None)
                .await
                .map_err(|e| ApiError::from_write(e, false))?;
            feature_answer(StatusCode::OK, &req, &next)
        }
        None => {
            let id = match feature_id {
                Some(id) => id,
                None => AssetId::parse(&format!("asset:{}", uuid::Uuid::new_v4().simple()))
                    .map_err(ApiError::internal)?,
            };
            let asset = Asset {
                verified_at: Some(today),
                ..Asset::create(id, valid, now)
            };
            state
                .write(Write::Insert(&asset), &by, None)
                .await
                .map_err(|e| ApiError::from_write(e, false))?;
            let mut r = feature_answer(StatusCode::CREATED, &req, &asset)?;
            let location = format!("{}/collections/assets/items/{}", base_url(&req), asset.id);
            if let Ok(v) = header::HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            Ok(r)
        }
    }
}

async fn reject(
    who: Principal,
    req: HttpRequest,
    path: web::Path<u64>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let n = path.into_inner();
    let reason = rejection_reason(&req, &body, "it is kept with the suggestion")?;
    let s = visible(&state, &who, n).await?;
    may_decide(&who, &s)?;
    let by = who.change_by(None).account;
    state
        .store
        .reject_suggestion(n, by.as_deref(), &reason, Utc::now())
        .await?;
    let s = visible(&state, &who, n).await?;
    answer_one(&state, &s).await
}
