//! `/api.html`: the OpenAPI document (`/api`) as an HTML page for people — every path and
//! method with its parameters and responses (the OGC API `service-doc`). Rendered on the
//! server with askama (every value escaped), styled by `/static/api.css`: no script and no
//! inline style, so the HTML pages' Content-Security-Policy holds.

use serde_json::Value;
use std::sync::OnceLock;

/// The text of the bundled OpenAPI document, served as `/api`.
pub const OPENAPI_TEXT: &str = include_str!("routes/openapi.json");

/// The bundled OpenAPI document, parsed once: what the routes answer ([`crate::edge`]), the
/// features' schema ([`crate::feature_schema`]) and this page are all read from it.
pub fn openapi() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(OPENAPI_TEXT).expect("the bundled OpenAPI document is JSON")
    })
}

/// This page, rendered once (it depends on nothing but the document).
pub fn rendered() -> Result<&'static str, askama::Error> {
    static PAGE: OnceLock<String> = OnceLock::new();
    if let Some(page) = PAGE.get() {
        return Ok(page);
    }
    let html = askama::Template::render(&ApiPage::from_openapi(openapi()))?;
    Ok(PAGE.get_or_init(|| html))
}

/// The methods an operation may have, in the order shown.
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// The page (`templates/api.html`).
#[derive(askama::Template)]
#[template(path = "api.html")]
pub struct ApiPage {
    /// `info.title` of the document.
    pub title: String,
    /// `info.description`.
    pub description: String,
    /// Every operation, in the document's order of paths.
    pub operations: Vec<Operation>,
}

/// One method on one path.
pub struct Operation {
    /// `GET`, `POST`…
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<Parameter>,
    pub responses: Vec<Response>,
}

/// One parameter, `$ref`s resolved.
pub struct Parameter {
    pub name: String,
    /// `query`, `path` or `header`.
    pub location: String,
    pub required: bool,
    /// The schema in short: type, items, enum, range, default (e.g. `integer, 1–10000,
    /// default 10`).
    pub schema: String,
    pub description: String,
}

/// One response status.
pub struct Response {
    pub status: String,
    pub description: String,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Follows a local `$ref` (`#/components/…`) once; anything else is returned as it is.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(v),
        None => v,
    }
}

/// A schema in a few words: `integer, 1–10000, default 10`, `array of number (4–6 items)`,
/// `string: json | html`.
fn schema_summary(s: &Value) -> String {
    let mut out = text(&s["type"]);
    if s["type"] == "array" {
        out = format!("array of {}", schema_summary(&s["items"]));
        match (s["minItems"].as_u64(), s["maxItems"].as_u64()) {
            (Some(a), Some(b)) if a == b => out.push_str(&format!(" ({a} items)")),
            (Some(a), Some(b)) => out.push_str(&format!(" ({a}–{b} items)")),
            _ => {}
        }
    }
    if let Some(values) = s["enum"].as_array() {
        let names: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        out.push_str(&format!(": {}", names.join(" | ")));
    }
    match (s.get("minimum"), s.get("maximum")) {
        (Some(lo), Some(hi)) => out.push_str(&format!(", {lo}–{hi}")),
        (Some(lo), None) => out.push_str(&format!(", at least {lo}")),
        (None, Some(hi)) => out.push_str(&format!(", at most {hi}")),
        (None, None) => {}
    }
    if let Some(d) = s.get("default") {
        out.push_str(&format!(", default {d}"));
    }
    out
}

impl ApiPage {
    /// The page of an OpenAPI 3.0 document.
    pub fn from_openapi(doc: &Value) -> ApiPage {
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                let Some(op) = item.get(method) else {
                    continue;
                };
                let parameters = item["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(op["parameters"].as_array().into_iter().flatten())
                    .map(|p| {
                        let p = resolve(doc, p);
                        Parameter {
                            name: text(&p["name"]),
                            location: text(&p["in"]),
                            required: p["required"].as_bool().unwrap_or(false),
                            schema: schema_summary(&p["schema"]),
                            description: text(&p["description"]),
                        }
                    })
                    .collect();
                let responses = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, r)| Response {
                        status: status.clone(),
                        description: text(&resolve(doc, r)["description"]),
                    })
                    .collect();
                operations.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&op["summary"]),
                    description: text(&op["description"]),
                    parameters,
                    responses,
                });
            }
        }
        ApiPage {
            title: text(&doc["info"]["title"]),
            description: text(&doc["info"]["description"]),
            operations,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_are_resolved_and_schemas_summarised() {
        let doc = json!({
            "info": {"title": "T", "description": "D"},
            "paths": {"/things": {"get": {
                "summary": "Things",
                "parameters": [{"$ref": "#/components/parameters/limit"}, {"name": "q", "in": "query", "schema": {"type": "string", "enum": ["a", "b"]}}],
                "responses": {"200": {"description": "Some"}, "400": {"$ref": "#/components/responses/Bad"}}
            }}},
            "components": {
                "parameters": {"limit": {"name": "limit", "in": "query", "description": "Page size", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}}},
                "responses": {"Bad": {"description": "Malformed"}}
            }
        });
        let page = ApiPage::from_openapi(&doc);
        let op = &page.operations[0];
        assert_eq!((op.method.as_str(), op.path.as_str()), ("GET", "/things"));
        assert_eq!(op.parameters[0].name, "limit");
        assert_eq!(op.parameters[0].schema, "integer, 1–10000, default 10");
        assert_eq!(op.parameters[1].schema, "string: a | b");
        assert_eq!(op.responses[1].description, "Malformed");
        let html = askama::Template::render(&page).unwrap();
        assert!(html.contains("<code>limit</code>") && !html.contains("<script"));
        assert!(!html.contains("style="));
    }
}
