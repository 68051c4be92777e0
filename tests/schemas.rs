//! The JSON Schemas in `schemas/` are the ones generated from the Rust types. Regenerate them with
//! `ECOSYNC_BLESS=1 cargo test --test tests schemas`.

use std::path::Path;

use ecosync::json_schemas::JsonSchemas;

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

/// The shipped examples validate against the schemas (checked with the `jsonschema` crate).
#[test]
fn shipped_ecosystem_json_matches_its_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/ecosystem.schema.json")).unwrap(),
    )
    .unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("ecosystem.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "ecosystem.json does not match its schema: {errors:#?}"
    );
    // And the schema rejects what the loader rejects: an unknown field.
    let bad =
        serde_json::json!([{"repo": "a/b", "subscriptions": ["x"], "subscription": ["typo"]}]);
    assert!(
        !validator.is_valid(&bad),
        "the schema must reject unknown fields"
    );
}

/// The shipped cousin configuration references its schema, validates against it, and `subscriber check`
/// accepts it.
#[test]
fn shipped_cousin_config_matches_its_schema_and_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/ecosync.schema.json")).unwrap(),
    )
    .unwrap();
    let example_path = root.join("examples/ecosync.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&example_path).unwrap()).unwrap();
    assert_eq!(doc["$schema"], "../schemas/ecosync.schema.json");
    assert!(
        root.join("examples")
            .join(doc["$schema"].as_str().unwrap())
            .is_file(),
        "the $schema path must resolve"
    );
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "examples/ecosync.json does not match its schema: {errors:#?}"
    );
    let mut typo = doc.clone();
    typo["stratgey"] = serde_json::json!("squash");
    assert!(
        !validator.is_valid(&typo),
        "the schema must reject unknown fields"
    );
    crate::support::Cmd::subscriber()
        .arg("check")
        .arg("--config")
        .arg(&example_path)
        .arg("--repo")
        .arg(root)
        .run()
        .success()
        .expect_output("ok");
}
