//! The error contract, checked on every error response of every test: the body is
//! `{code, message, fields?, details?}`, its `code` one of the `ErrorCode` values of the
//! committed `openapi/openapi.json` (not of the Rust enum, so a code the server answers but
//! the document does not list fails the test that provoked it), with a Chinese `message`.

use std::{collections::BTreeSet, sync::OnceLock};

use serde_json::Value;

/// The codes `openapi/openapi.json` lists under `components.schemas.ErrorCode`.
pub fn documented_codes() -> &'static BTreeSet<String> {
    static CODES: OnceLock<BTreeSet<String>> = OnceLock::new();
    CODES.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        let text = std::fs::read_to_string(path).expect("openapi/openapi.json is readable");
        let doc: Value = serde_json::from_str(&text).expect("openapi/openapi.json is JSON");
        doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .expect("the document lists ErrorCode")
            .iter()
            .map(|c| c.as_str().expect("codes are strings").to_owned())
            .collect()
    })
}

fn is_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Why `body` is not an error body the document allows for `status`, if it is not.
pub fn violation(status: u16, body: &[u8]) -> Option<String> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Some(format!(
            "not a JSON object: {:?}",
            String::from_utf8_lossy(body)
        ));
    };
    let allowed = ["code", "message", "fields", "details"];
    if let Some(key) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Some(format!("unexpected member `{key}`"));
    }
    let code = match body.get("code") {
        Some(Value::String(code)) => code.as_str(),
        other => return Some(format!("`code` is not a string: {other:?}")),
    };
    if !documented_codes().contains(code) {
        return Some(format!("`{code}` is not in the document's ErrorCode"));
    }
    match body.get("message") {
        Some(Value::String(m)) if is_chinese(m) => {}
        other => return Some(format!("`message` is not Chinese text: {other:?}")),
    }
    match (code, body.get("fields")) {
        ("validation_failed", Some(Value::Object(fields))) if !fields.is_empty() => {
            if let Some((name, _)) = fields
                .iter()
                .find(|(_, m)| !m.as_str().is_some_and(is_chinese))
            {
                return Some(format!("field `{name}` has no Chinese message"));
            }
        }
        ("validation_failed", other) => {
            return Some(format!("422 without fields: {other:?}"));
        }
        (_, None) => {}
        (_, Some(_)) => return Some("`fields` on a code other than validation_failed".into()),
    }
    if let Some(details) = body.get("details") {
        if !details.is_object() {
            return Some(format!("`details` is not an object: {details}"));
        }
    }
    if code == "validation_failed" && status != 422 {
        return Some(format!("validation_failed with status {status}"));
    }
    None
}

/// Panics when an error answer (4xx, 5xx, with a body to read) breaks the contract. The
/// readiness probe is the one exception: its 503 is its documented `Readiness` report.
pub fn check(method: &reqwest::Method, path: &str, status: u16, body: &[u8]) {
    if status < 400 || method == reqwest::Method::HEAD || path == "/readyz" {
        return;
    }
    if let Some(why) = violation(status, body) {
        panic!("{method} {path} answered {status} outside the error contract: {why}");
    }
}
