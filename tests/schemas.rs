//! The JSON Schemas in `schemas/` are the ones generated from the Rust types. Regenerate them with
//! `ECOSYNC_BLESS=1 cargo test --test tests schemas`.

use std::path::Path;

use ecosync::schemas::JsonSchemas;

#[test]
fn schemas_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let bless = std::env::var_os("ECOSYNC_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, generated) in JsonSchemas::all() {
        let path = dir.join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &generated).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale JSON Schemas in schemas/: {stale:?}; regenerate with `ECOSYNC_BLESS=1 cargo test --test tests schemas` and commit them"
    );
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Checks that `doc_path` names `schema_path` in `$schema` (relative to itself, as editors resolve it) and is
/// valid against it; returns the validator for further checks.
fn check_shipped(doc_path: &str, schema_path: &str) -> (jsonschema::Validator, serde_json::Value) {
    let doc = read_json(doc_path);
    let named = doc["$schema"]
        .as_str()
        .unwrap_or_else(|| panic!("{doc_path} names no `$schema`"));
    let dir = root().join(doc_path).parent().unwrap().to_path_buf();
    assert_eq!(
        std::fs::canonicalize(dir.join(named)).ok(),
        std::fs::canonicalize(root().join(schema_path)).ok(),
        "{doc_path}: `$schema` must resolve to {schema_path}"
    );
    let validator = jsonschema::validator_for(&read_json(schema_path)).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{doc_path} does not match {schema_path}: {errors:#?}"
    );
    (validator, doc)
}

/// The shipped `ecosystem.json` names its schema and validates against it; the schema also accepts the
/// original array form and rejects what the loader rejects.
#[test]
fn shipped_ecosystem_json_matches_its_schema() {
    let (validator, doc) = check_shipped("ecosystem.json", "schemas/ecosystem.schema.json");
    assert!(
        validator.is_valid(&doc["repositories"]),
        "the original array form must stay valid"
    );
    let typo =
        serde_json::json!([{"repo": "a/b", "subscriptions": ["x"], "subscription": ["typo"]}]);
    assert!(
        !validator.is_valid(&typo),
        "the schema must reject unknown fields"
    );
}

/// The shipped cousin configuration names its schema, validates against it, and `subscriber check` accepts
/// it.
#[test]
fn shipped_cousin_config_matches_its_schema_and_checks() {
    let (validator, doc) = check_shipped("examples/ecosync.json", "schemas/ecosync.schema.json");
    let mut typo = doc.clone();
    typo["stratgey"] = serde_json::json!("squash");
    assert!(
        !validator.is_valid(&typo),
        "the schema must reject unknown fields"
    );
    crate::support::Cmd::subscriber()
        .arg("check")
        .arg("--config")
        .arg(root().join("examples/ecosync.json"))
        .arg("--repo")
        .arg(root())
        .run()
        .success()
        .expect_output("ok");
}
