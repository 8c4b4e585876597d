//! The contract of lists: every list a `GET` answers is `{items, next_cursor}` (the one
//! `Page<T>`, or a list with a few facts beside it), never a bare array or a list under
//! another name.

use serde_json::Value;

use crate::contract::{document, resolved};

#[test]
fn every_page_is_the_one_page_shape_with_its_items_by_reference() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let pages: Vec<_> = schemas.keys().filter(|k| k.ends_with("Page")).collect();
    assert!(pages.is_empty(), "copies of Page<T>: {pages:?}");
    for (name, page) in schemas.iter().filter(|(k, _)| k.starts_with("Page_")) {
        let item = &name["Page_".len()..];
        assert_eq!(
            page["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{name}"
        );
        assert!(
            schemas.contains_key(item),
            "{name}: {item} is not registered"
        );
        let mut fields: Vec<_> = page["properties"].as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(fields, ["items", "next_cursor", "total"], "{name}");
        assert_eq!(page["required"], serde_json::json!(["items"]), "{name}");
        assert_eq!(page["properties"]["total"]["type"], "integer", "{name}");
    }
}

/// Array-valued properties of a `GET`'s answer that are not lists but parts of one object,
/// each with why it stays an array.
const NOT_LISTS: &[(&str, &str, &str)] = &[
    (
        "MeView",
        "roles",
        "the caller's own roles are part of their profile: a handful, read with it, never paged",
    ),
    (
        "ActivityView",
        "kinds_allowed",
        "the kinds of volunteers an activity takes: at most the three kinds, part of the activity",
    ),
    (
        "ServiceRecords",
        "communities",
        "the caller's service per community they served (a few), each with its months, read whole",
    ),
    (
        "RulesView",
        "rules",
        "the earning rules are one document, read and replaced whole by PUT (at most one rule per action)",
    ),
    (
        "VolunteerStats",
        "volunteers",
        "one row per kind of volunteer (three): part of the figures",
    ),
    (
        "VolunteerStats",
        "checkins_per_day",
        "a series of at most 366 days, part of the figures of the period asked for, never paged",
    ),
];

/// Whether a schema is an array, or nullable array.
fn is_array(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "array",
        Value::Array(types) => types.iter().any(|t| t == "array"),
        _ => false,
    }
}

#[test]
fn every_list_a_get_answers_is_items_and_next_cursor_never_a_bare_array() {
    let doc = document();
    let mut lists = 0;
    let mut wrong = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let Some(schema) = get["responses"]["200"]["content"]["application/json"].get("schema")
        else {
            continue;
        };
        let name = schema["$ref"]
            .as_str()
            .map(|r| r.trim_start_matches("#/components/schemas/"))
            .unwrap_or("(inline)");
        let body = resolved(&doc, schema);
        if is_array(body) {
            wrong.push(format!("GET {path}: a bare array"));
            continue;
        }
        let properties = body["properties"].as_object().cloned().unwrap_or_default();
        for (field, property) in &properties {
            let property = resolved(&doc, property);
            let allowed = NOT_LISTS.iter().any(|(s, f, _)| *s == name && f == field);
            if is_array(property) && field != "items" && !allowed {
                wrong.push(format!(
                    "GET {path}: {name}.{field} is a list not named `items`"
                ));
            }
        }
        if properties.contains_key("items") {
            lists += 1;
            if !properties.contains_key("next_cursor") {
                wrong.push(format!(
                    "GET {path}: {name} has `items` without `next_cursor`"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(lists >= 14, "only {lists} lists found");
}
