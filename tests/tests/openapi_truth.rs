//! The API document names exactly the query parameters each operation takes: every GET is
//! sent an unknown parameter, and the server's own refusal (which lists what the operation
//! allows) is compared with the parameters `/api` declares for it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{spawn_app, TestStore, ADMIN_TOKEN};
use serde_json::Value;
use std::collections::BTreeSet;

/// A concrete path for a templated one.
fn concrete(template: &str) -> String {
    template
        .replace("{collectionId}", "assets")
        .replace("{featureId}", "trafford_libraries:6")
        .replace("{areaCode}", "E05015239")
        .replace("{level}", "ward")
        .replace("{format}", "csv")
        .replace("{secret}", "not-an-invitation")
        .replace("{suggestionId}", "1")
}

/// The names of the query parameters an operation declares (references resolved).
fn declared(api: &Value, op: &Value) -> BTreeSet<String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| match p["$ref"].as_str() {
            Some(r) => api
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{r} resolves"))
                .clone(),
            None => p.clone(),
        })
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_declares_exactly_the_parameters_it_takes() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let api = app.get("/api").await.json();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (template, item) in api["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        // `/collections/{collectionId}/items/{areaCode}` is documented for the area
        // collections; `{collectionId}` stands for them there.
        let path = if template.contains("{areaCode}") {
            concrete(template).replace("/assets/", "/areas-ward/")
        } else if template == "/collections/{collectionId}/items" {
            "/collections/areas-ward/items".to_owned()
        } else {
            concrete(template)
        };
        // Staff operations are asked as an admin, so that their answer is about the query.
        let token = op.get("security").map(|_| ADMIN_TOKEN);
        let r = app
            .send(
                "GET",
                &format!("{path}?zz_not_a_parameter=1"),
                None,
                token,
                &[("Accept", "application/json")],
            )
            .await;
        let doc = declared(&api, op);
        if doc.is_empty() && r.status == 200 {
            // Takes no parameter and ignores the query (e.g. the static files).
            continue;
        }
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        let reason = r.json()["invalid_params"][0]["reason"]
            .as_str()
            .unwrap()
            .to_owned();
        let allowed: BTreeSet<String> = match reason.split_once("allowed: ") {
            Some((_, list)) => list
                .split(", ")
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
            None if reason.contains("takes no parameters") => BTreeSet::new(),
            None => panic!("{path}: {reason}"),
        };
        if allowed != doc {
            wrong.push(format!(
                "{template}: the server takes {:?} but /api declares {:?}",
                allowed.difference(&doc).collect::<Vec<_>>(),
                doc.difference(&allowed).collect::<Vec<_>>()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked} operations");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
