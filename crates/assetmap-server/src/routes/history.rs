//! An asset's history and what is done with it: `GET …/items/{id}/history` (who changed what,
//! when and how, field by field), `POST …/history/{version}/restore` (an earlier version as
//! a new one), and the review of stewards' changes (`/proposals`).

use crate::auth::Principal;
use crate::errors::ApiError;
use crate::http::{feature_answer, if_match_version, no_store_json, require_version};
use crate::params::Params;
use crate::staff::{entry_json, proposal_json, rejection_reason, state_at, states_after, Names};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{Asset, AssetId, Role, Via};
use assetmap_store::Write;
use chrono::Utc;
use serde_json::json;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/collections/assets/items/{id}/history").route(web::get().to(history)),
    )
    .service(
        web::resource("/collections/assets/items/{id}/history/{version}/restore")
            .route(web::post().to(restore)),
    )
    .service(web::resource("/proposals").route(web::get().to(proposals)))
    .service(web::resource("/proposals/{n}/accept").route(web::post().to(accept)))
    .service(web::resource("/proposals/{n}/reject").route(web::post().to(reject)));
}

fn asset_id(raw: &str) -> Result<AssetId, ApiError> {
    AssetId::parse(raw).map_err(|e| {
        ApiError::not_found(format!("There is no asset with id {raw:?}: {}", e.problem))
    })
}

async fn history(
    req: HttpRequest,
    who: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let id = asset_id(&path)?;
    if !who.may_see_history(&id) {
        return Err(ApiError::forbidden(
            "The history of a place is for editors, and for the group that keeps it.",
        ));
    }
    let entries = state.store.history(&id).await?;
    if entries.is_empty() {
        return Err(ApiError::not_found(format!(
            "There is no asset with id '{id}', and there never was."
        )));
    }
    let current = state.store.get(&id).await?;
    let names = Names::load(&state).await?;
    let states = states_after(&entries, current.as_ref());
    let listed: Vec<_> = entries
        .iter()
        .zip(&states)
        .map(|(e, after)| entry_json(e, after.as_ref(), &names))
        .collect();
    let proposals: Vec<_> = state
        .store
        .proposals(Some(&id), false)
        .await?
        .iter()
        .map(|p| proposal_json(p, current.as_ref(), &names))
        .collect();
    Ok(no_store_json(
        StatusCode::OK,
        json!({
            "id": id.as_str(),
            "current_version": current.as_ref().map(|a| a.version),
            "entries": listed,
            "proposals": proposals,
        }),
    ))
}

async fn restore(
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Editor)?;
    let (raw, version) = path.into_inner();
    let id = asset_id(&raw)?;
    let expected = if_match_version(&req)?;
    let _guard = state.lock_writes().await?;
    let entries = state.store.history(&id).await?;
    let current = state.store.get(&id).await?;
    let then = match state_at(&entries, current.as_ref(), version) {
        None => {
            return Err(ApiError::not_found(format!(
                "Asset '{id}' has no version {version} in its history."
            )))
        }
        Some(None) => {
            return Err(ApiError::conflict(format!(
                "Version {version} of '{id}' was written before this server kept history, so what it held is not known and it cannot be restored."
            )))
        }
        Some(Some(then)) => then,
    };
    if let Some(c) = &current {
        require_version(
            &id,
            expected,
            c.version,
            "Look at its history again before restoring.",
        )?;
    }
    let now = Utc::now();
    let last_version = entries.last().map_or(0, |e| e.version);
    let restored = Asset {
        version: current.as_ref().map_or(last_version, |c| c.version) + 1,
        created_at: current.as_ref().map_or(then.created_at, |c| c.created_at),
        updated_at: now,
        ..then
    };
    let by = who.change_by(Some(Via::Restore(version)));
    let write = if current.is_some() {
        Write::Replace(&restored)
    } else {
        // Deleted since: restoring brings it back.
        Write::Insert(&restored)
    };
    state
        .write(write, &by, None)
        .await
        .map_err(|e| ApiError::from_write(e, false))?;
    feature_answer(StatusCode::OK, &req, &restored)
}

async fn proposals(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["state"])?;
    let waiting_only = match p.one("state")? {
        None | Some("waiting") => true,
        Some("all") => false,
        Some(other) => {
            return Err(ApiError::bad_param(
                "state",
                format!("{other:?} is not waiting or all"),
            ))
        }
    };
    let mine = !who.role.edits_every_asset();
    let names = Names::load(&state).await?;
    let mut listed = Vec::new();
    for p in state.store.proposals(None, waiting_only).await? {
        if mine && !who.may_see_history(&p.asset.id) {
            continue;
        }
        let current = state.engine().get(&p.asset.id);
        listed.push(proposal_json(&p, current.as_ref(), &names));
    }
    Ok(no_store_json(
        StatusCode::OK,
        json!({ "proposals": listed }),
    ))
}

async fn accept(
    who: Principal,
    req: HttpRequest,
    path: web::Path<u64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Editor)?;
    let n = path.into_inner();
    let _guard = state.lock_writes().await?;
    let p = state
        .store
        .proposal(n)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no proposal {n}.")))?;
    if p.decision.is_some() {
        return Err(ApiError::conflict(format!(
            "Proposal {n} was already decided."
        )));
    }
    let current = state.store.get(&p.asset.id).await?.ok_or_else(|| {
        ApiError::conflict(format!(
            "The place '{}' was deleted since the proposal was made; reject it, or restore the place first.",
            p.asset.id
        ))
    })?;
    let base = p.asset.version.saturating_sub(1);
    if current.version != base {
        return Err(ApiError::conflict(format!(
            "The place '{}' changed since the proposal was made (it was version {base}, now {}): look at both, then edit the place yourself and reject the proposal, or ask for a new one.",
            p.asset.id, current.version
        )));
    }
    let asset = Asset {
        updated_at: Utc::now(),
        ..p.asset
    };
    let by = who.change_by(Some(Via::Review(n)));
    state
        .write(Write::Replace(&asset), &by, None)
        .await
        .map_err(|e| ApiError::from_write(e, false))?;
    feature_answer(StatusCode::OK, &req, &asset)
}

async fn reject(
    who: Principal,
    req: HttpRequest,
    path: web::Path<u64>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Editor)?;
    let n = path.into_inner();
    let reason = rejection_reason(&req, &body, "the steward sees it")?;
    let by = who.change_by(None).account;
    state
        .store
        .reject_proposal(n, by.as_deref(), &reason, Utc::now())
        .await?;
    let p = state
        .store
        .proposal(n)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no proposal {n}.")))?;
    let current = state.engine().get(&p.asset.id);
    let names = Names::load(&state).await?;
    Ok(no_store_json(
        StatusCode::OK,
        proposal_json(&p, current.as_ref(), &names),
    ))
}
