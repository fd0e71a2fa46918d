//! The API's contract: every JSON 2xx answer in the OpenAPI document has a named schema that says
//! what it holds, never a bare `{"type": "object"}`, at the top or anywhere inside.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Every problem of `doc`'s 2xx JSON answers, as `METHOD path status: what`.
fn contract_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let responses = op["responses"].as_object().expect("responses");
            let at = |status: &str| format!("{} {path} {status}", method.to_uppercase());
            if !responses.keys().any(|s| s.starts_with('2')) {
                problems.push(format!("{}: no 2xx answer documented", at("")));
            }
            for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('2')) {
                let Some(content) = response["content"].as_object() else {
                    if status != "204" {
                        problems.push(format!("{}: no content documented", at(status)));
                    }
                    continue;
                };
                for (media, c) in content.iter().filter(|(m, _)| m.contains("json")) {
                    match c.get("schema") {
                        None => problems.push(format!("{} ({media}): no schema", at(status))),
                        Some(schema) => {
                            let mut seen = BTreeSet::new();
                            walk(doc, schema, "body", &mut seen, &mut |problem| {
                                problems.push(format!("{}: {problem}", at(status)))
                            });
                        }
                    }
                }
            }
        }
    }
    problems
}

/// Visits `schema` and everything it refers to, reporting bare objects and unresolved `$ref`s.
fn walk(
    doc: &Value,
    schema: &Value,
    place: &str,
    seen: &mut BTreeSet<String>,
    report: &mut dyn FnMut(String),
) {
    if let Some(r) = schema["$ref"].as_str() {
        let Some(name) = r.strip_prefix("#/components/schemas/") else {
            return report(format!("{place}: unexpected $ref {r}"));
        };
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return report(format!("{place}: $ref to a missing schema {name}"));
        }
        if seen.insert(name.to_string()) {
            walk(doc, target, name, seen, report);
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let composite = ["allOf", "oneOf", "anyOf"]
        .iter()
        .any(|k| schema[*k].is_array());
    let has_members = schema["properties"].is_object()
        || schema["additionalProperties"].is_object()
        || schema["additionalProperties"] == true;
    if types.contains(&"object") && !has_members && !composite {
        report(format!("{place} is a bare object"));
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, p) in props {
            walk(doc, p, &format!("{place}.{name}"), seen, report);
        }
    }
    if schema["additionalProperties"].is_object() {
        walk(
            doc,
            &schema["additionalProperties"],
            &format!("{place}[*]"),
            seen,
            report,
        );
    }
    if schema["items"].is_object() {
        walk(doc, &schema["items"], &format!("{place}[]"), seen, report);
    }
    for k in ["allOf", "oneOf", "anyOf"] {
        for (i, s) in schema[k].as_array().into_iter().flatten().enumerate() {
            walk(doc, s, &format!("{place}.{k}[{i}]"), seen, report);
        }
    }
}

#[test]
fn every_json_2xx_answer_has_a_schema_that_is_never_a_bare_object() {
    let (_, doc) = arzyab::http::routes();
    let doc = serde_json::to_value(&doc).unwrap();
    let problems = contract_problems(&doc);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every JSON 2xx body is a named type (a component), not an inline schema.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for (status, r) in op["responses"].as_object().unwrap() {
                for (media, c) in r["content"].as_object().into_iter().flatten() {
                    if status.starts_with('2') && media.contains("json") {
                        assert!(
                            c["schema"]["$ref"].is_string(),
                            "{method} {path} {status}: {}",
                            c["schema"]
                        );
                    }
                }
            }
        }
    }
    // Instants are documented as RFC 3339 date-times, not as an anonymous string type.
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["String"].is_null(), "{}", schemas["String"]);
    for (schema, field) in [("Publication", "published_at"), ("Objection", "filed_at")] {
        assert_eq!(
            schemas[schema]["properties"][field]["format"], "date-time",
            "{schema}.{field}"
        );
    }
    // Every operation was looked at (the document is not empty).
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|ops| ops.as_object().unwrap().len())
        .sum();
    assert!(operations >= 34, "{operations} operations");
}

#[test]
fn the_contract_check_finds_bare_objects_missing_schemas_and_bare_components_behind_refs() {
    let ok = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
    let doc = json!({
        "paths": {
            "/bare": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/none": {"get": {"responses": {"200": {"content": {"application/json": {}}}}}},
            "/ref": {"get": {"responses": {"201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bare"}}}}}}},
            "/nested": {"get": {"responses": {"200": {"content": {"application/json": {"schema":
                {"type": "object", "properties": {"inner": {"type": ["object", "null"]}}}}}}}}},
            "/fine": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Fine"}}}},
                                            "404": {"content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/map": {"get": {"responses": {"200": {"content": {"application/json": {"schema":
                {"type": "object", "additionalProperties": {"type": "number"}}}}}}}},
            "/csv": {"get": {"responses": {"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}}}},
        },
        "components": {"schemas": {"Bare": {"type": "object"}, "Fine": ok}},
    });
    let problems = contract_problems(&doc);
    let flagged: BTreeSet<&str> = problems
        .iter()
        .map(|p| p.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        flagged,
        BTreeSet::from(["/bare", "/none", "/ref", "/nested"]),
        "{problems:#?}"
    );
}
