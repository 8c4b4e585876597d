//! The HTTP contract: the OpenAPI document lists exactly the routes the server serves, declares
//! its parameters where they go, every method a path does not serve answers a JSON 405, and
//! a boundary is typed as GeoJSON (the shape of lists: `contract_lists`).

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{header, Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

pub(crate) fn document() -> Value {
    serde_json::from_str(&api::openapi::document_json()).unwrap()
}

/// Each documented path with its methods (upper case, in `METHODS` order).
pub(crate) fn documented() -> BTreeMap<String, Vec<String>> {
    let doc = document();
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// A concrete URL for a path template: every parameter is 1.
pub(crate) fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('1');
            }
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The routes registered by the `routes` functions of `api/src` (method, full path), read
/// from the source: a path literal followed by the `web::<method>()` routes it gets.
fn registered() -> BTreeSet<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/api/src");
    let mut files = vec![];
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Some(start) = text.find("pub fn routes(cfg: &mut web::ServiceConfig)") else {
            continue;
        };
        let body = &text[start..];
        let body = &body[..body.find("\n}\n").unwrap()];
        // Domains are mounted under `/api/v1`; startup.rs holds the root routes.
        let prefix = if file.ends_with("startup.rs") {
            ""
        } else {
            "/api/v1"
        };
        let mut path: Option<String> = None;
        let mut methods = 0;
        let mut rest = body;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("\"/") {
                let end = after.find('"').unwrap();
                path = Some(format!("{prefix}/{}", &after[..end]));
                rest = &after[end + 1..];
            } else if let Some(after) = rest.strip_prefix("web::") {
                let name: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
                if METHODS.contains(&name.as_str()) && after[name.len()..].starts_with("()") {
                    let path = path.clone().expect("a method follows a path");
                    routes.insert((name.to_uppercase(), path));
                    methods += 1;
                }
                rest = &after[name.len()..];
            } else {
                let mut chars = rest.chars();
                chars.next();
                rest = chars.as_str();
            }
        }
        // A route written another way (a macro, `web::route().method(..)`) would be missed.
        assert_eq!(
            methods,
            body.matches(".to(").count(),
            "{} registers routes in a form this test cannot read",
            file.display()
        );
    }
    routes
}

#[test]
fn every_registered_route_is_in_the_document_and_every_operation_is_registered() {
    let registered: BTreeSet<_> = registered()
        .into_iter()
        // Swagger UI's redirect is not part of the API.
        .filter(|(_, path)| path != "/docs")
        .collect();
    let documented: BTreeSet<_> = documented()
        .into_iter()
        .flat_map(|(path, methods)| methods.into_iter().map(move |m| (m, path.clone())))
        .collect();

    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "not in openapi.json: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented, not registered: {unserved:?}"
    );
    assert!(registered.len() >= 50);
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn().await;
    for (path, methods) in documented() {
        for method in methods {
            let url = concrete(&path);
            let (status, body) = app.call(method.parse().unwrap(), &url, None, None).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
            assert!(
                status != StatusCode::NOT_FOUND || body["message"] != "接口不存在或无权访问",
                "{method} {url} is not routed: {body}"
            );
        }
    }
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_answers_a_json_405_listing_the_methods_it_does() {
    let app = TestApp::spawn().await;
    let mut checked = 0;
    for (path, allowed) in documented() {
        for method in METHODS.map(str::to_uppercase) {
            if allowed.contains(&method) {
                continue;
            }
            let url = concrete(&path);
            let response = app.raw(method.parse().unwrap(), &url, None, None).await;
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {url}"
            );
            let allow = response.headers()[header::ALLOW]
                .to_str()
                .unwrap()
                .to_owned();
            assert_eq!(allow, allowed.join(", "), "{method} {url}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "method_not_allowed", "{method} {url}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
            checked += 1;
        }
    }
    assert!(checked > 100);
}

#[tokio::test]
async fn put_on_me_and_post_on_a_community_answer_json_405_with_allow() {
    let app = TestApp::spawn().await;
    for (method, path, allow) in [
        (Method::PUT, "/api/v1/me", "GET, PATCH"),
        (Method::POST, "/api/v1/communities/1", "GET, PATCH, DELETE"),
        (Method::DELETE, "/api/v1/me/points", "GET"),
    ] {
        let response = app.raw(method.clone(), path, None, None).await;

        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], allow, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "method_not_allowed");
        assert_eq!(body["message"], "不支持该请求方法");
    }
    let (status, body) = app.call(Method::POST, "/api/v1/nowhere", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}

/// Generated clients name a function after each `operationId`: two operations with one id
/// make a client that does not compile (or silently calls the wrong one).
#[test]
fn every_operation_id_is_unique() {
    let doc = document();
    let mut seen = std::collections::BTreeMap::new();
    let mut twice = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            let here = format!("{} {path}", method.to_uppercase());
            if let Some(first) = seen.insert(id.to_owned(), here.clone()) {
                twice.push(format!("{id}: {first} and {here}"));
            }
        }
    }
    assert!(twice.is_empty(), "{twice:#?}");
    assert!(seen.len() > 80, "only {} operations", seen.len());
}

#[test]
fn every_path_parameter_is_in_its_path_template() {
    let doc = document();
    let mut misplaced = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                if param["in"] == "path" && !path.contains(&format!("{{{name}}}")) {
                    misplaced.push(format!("{method} {path}: {name}"));
                }
            }
        }
    }
    assert!(
        misplaced.is_empty(),
        "query parameters declared in the path: {misplaced:?}"
    );
}

#[test]
fn operations_that_read_a_body_document_400_413_and_415_and_writes_429() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let mut expected = vec![];
            if op.get("requestBody").is_some() {
                expected.extend(["400", "413", "415"]);
            }
            if method != "get" && path.starts_with("/api/") {
                expected.push("429");
            }
            for status in expected {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
    let shared = &doc["components"]["responses"];
    for name in [
        "BadRequestBody",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "RateLimited",
    ] {
        assert_eq!(
            shared[name]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
}

#[test]
fn the_document_names_its_server_and_describes_every_tag() {
    let doc = document();
    let servers = doc["servers"].as_array().expect("servers");
    assert!(!servers.is_empty());
    assert_eq!(servers[0]["url"], "/");
    for tag in doc["tags"].as_array().unwrap() {
        assert!(
            tag["description"].as_str().is_some_and(|d| !d.is_empty()),
            "tag {} has no description",
            tag["name"]
        );
    }
}

/// A schema with its `$ref` (if any) followed into `components.schemas`.
pub(crate) fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

#[test]
fn every_boundary_is_a_geojson_polygon_or_multipolygon() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for owner in [
        "CommunityView",
        "CreateCommunity",
        "UpdateCommunity",
        "GridView",
        "CreateGrid",
        "UpdateGrid",
    ] {
        let mut boundary = &schemas[owner]["properties"]["boundary"];
        // A nullable boundary is `oneOf [boundary, null]`.
        if let Some(alternatives) = boundary["oneOf"].as_array() {
            if alternatives.iter().any(|a| a["type"] == "null") {
                boundary = alternatives.iter().find(|a| a["type"] != "null").unwrap();
            }
        }
        let boundary = resolved(&doc, boundary);
        let shapes: Vec<(&str, &Value)> = boundary["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{owner}.boundary is no oneOf: {boundary}"))
            .iter()
            .map(|s| (s["properties"]["type"]["enum"][0].as_str().unwrap(), s))
            .collect();
        let kinds: Vec<&str> = shapes.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, ["Polygon", "MultiPolygon"], "{owner}");
        for (kind, shape) in shapes {
            assert_eq!(
                shape["required"],
                serde_json::json!(["type", "coordinates"])
            );
            // Polygon: rings of positions of numbers; MultiPolygon: one level more.
            let depth = if kind == "Polygon" { 3 } else { 4 };
            let mut level = &shape["properties"]["coordinates"];
            for _ in 0..depth {
                assert_eq!(level["type"], "array", "{owner} {kind}");
                level = &level["items"];
            }
            assert_eq!(level["type"], "number", "{owner} {kind}");
        }
    }
}
