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

/// Every property of every schema in `doc` (the components, and the schemas written inline in the
/// operations' bodies) that shows a reader no example or has no description, as
/// `Schema.field: no example` or `METHOD path.field: no description`.
/// A property whose type is another named schema (`$ref`, also as a list's items, a map's values
/// or one side of a nullable `oneOf`) needs none of its own: that schema's fields carry theirs. An
/// `enum` lists its values, which serve as examples. A property that cannot have an example says
/// why in its description, starting `No example:`.
fn example_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .expect("components")
    {
        if schema["properties"].is_null() && !shown(schema) && !delegates(schema) {
            problems.push(format!("{name}: no example"));
        }
        properties_without_examples(schema, name, &mut problems);
    }
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let bodies = op["requestBody"]["content"].as_object().into_iter().chain(
                op["responses"]
                    .as_object()
                    .into_iter()
                    .flat_map(|rs| rs.values().filter_map(|r| r["content"].as_object())),
            );
            for content in bodies {
                for c in content.values() {
                    let place = format!("{} {path}", method.to_uppercase());
                    properties_without_examples(&c["schema"], &place, &mut problems);
                }
            }
        }
    }
    problems
}

/// Whether `schema` shows its reader a value: an example, a list of allowed values, or a reason
/// why it has none.
fn shown(schema: &Value) -> bool {
    !schema["example"].is_null()
        || schema["examples"].as_array().is_some_and(|e| !e.is_empty())
        || schema["enum"].is_array()
        || schema["const"].is_string()
        || schema["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("No example:"))
}

/// Whether a property says what it holds: a description of its own (or on its side of a nullable
/// `oneOf`), or a tag whose one allowed value names the variant it belongs to.
fn described(schema: &Value) -> bool {
    let own = |s: &Value| {
        s["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    own(schema)
        || ["allOf", "oneOf", "anyOf"]
            .iter()
            .any(|k| schema[*k].as_array().is_some_and(|ss| ss.iter().any(own)))
        || schema["enum"].as_array().is_some_and(|e| e.len() == 1)
}

/// Whether `schema`'s values are shown by other schemas: a `$ref`, a composition with one, a list
/// whose items are shown, or a map whose values are.
fn delegates(schema: &Value) -> bool {
    let inner = |s: &Value| shown(s) || delegates(s) || s["properties"].is_object();
    schema["$ref"].is_string()
        || ["allOf", "oneOf", "anyOf"]
            .iter()
            .any(|k| schema[*k].as_array().is_some_and(|ss| ss.iter().any(inner)))
        || (schema["items"].is_object() && inner(&schema["items"]))
        || (schema["additionalProperties"].is_object() && inner(&schema["additionalProperties"]))
}

/// Walks `schema`'s properties (and those of its inline items, values and compositions), reporting
/// each that is neither shown nor delegates.
fn properties_without_examples(schema: &Value, place: &str, problems: &mut Vec<String>) {
    for (name, p) in schema["properties"].as_object().into_iter().flatten() {
        let at = format!("{place}.{name}");
        if !shown(p) && !delegates(p) && !p["properties"].is_object() {
            problems.push(format!("{at}: no example"));
        }
        if !described(p) {
            problems.push(format!("{at}: no description"));
        }
        properties_without_examples(p, &at, problems);
    }
    if schema["items"].is_object() {
        properties_without_examples(&schema["items"], &format!("{place}[]"), problems);
    }
    if schema["additionalProperties"].is_object() {
        let values = &schema["additionalProperties"];
        properties_without_examples(values, &format!("{place}[*]"), problems);
    }
    for k in ["allOf", "oneOf", "anyOf"] {
        for (i, s) in schema[k].as_array().into_iter().flatten().enumerate() {
            properties_without_examples(s, &format!("{place}.{k}[{i}]"), problems);
        }
    }
}

#[test]
fn every_field_of_the_openapi_document_has_an_example_and_a_description() {
    let (_, doc) = arzyab::http::routes();
    let doc = serde_json::to_value(&doc).unwrap();
    let problems = example_problems(&doc);
    assert!(
        problems.is_empty(),
        "{} fields without an example or a description:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_example_check_finds_fields_without_examples_or_descriptions_inline_nested_and_in_components()
{
    let doc = json!({
        "paths": {
            "/login": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                    "username": {"type": "string", "description": "Who."},
                    "password": {"type": "string", "example": "demo-admin-1400"}}}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}}}}},
        },
        "components": {"schemas": {
            "Token": {"type": "object", "properties": {
                "token": {"type": "string", "example": "a1b2", "description": "The token."},
                "expires_at": {"type": ["string", "null"], "format": "date-time", "description": "When."},
                "role": {"$ref": "#/components/schemas/Role", "description": "Its role."},
                "grade": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Grade", "description": "Its grade."}]},
                "offices": {"type": "array", "items": {"$ref": "#/components/schemas/Office"}, "description": "Its offices."},
                "counts": {"type": "array", "items": {"type": "integer"}, "description": "Counts."},
                "values": {"type": "object", "additionalProperties": {"type": "number", "example": 3}, "description": "Values."},
                "nested": {"type": "object", "properties": {"deep": {"type": "integer", "description": "Deep."}}, "description": "Nested."},
                "secret": {"type": "string", "description": "No example: never shown."}}},
            "Role": {"type": "string", "enum": ["admin", "office"]},
            "Grade": {"type": "integer"},
            "Office": {"type": "object", "properties": {
                "name": {"type": "string", "examples": ["دفتر ۱"], "description": "Its name."},
                "step": {"type": "string", "enum": ["let"]},
                "blank": {"type": "string", "example": "x", "description": " "}}},
        }},
    });
    let problems = example_problems(&doc);
    assert_eq!(
        problems,
        [
            "Grade: no example",
            "Office.blank: no description",
            "Token.counts: no example",
            "Token.expires_at: no example",
            "Token.nested.deep: no example",
            "POST /login.password: no description",
            "POST /login.username: no example",
        ],
        "{problems:#?}"
    );
}
