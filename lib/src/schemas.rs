//! `JsonSchemas`: the JSON Schemas of ecosync's configuration files, generated from the Rust types that load
//! them, so the schema an editor validates against can never drift from what the binaries accept.
//!
//! The generated files live in `schemas/` in the repository; a test fails when one is stale.

use crate::config::cousin_config::CousinConfigFile;
use crate::dispatch::ecosystem::Ecosystem;

/// The configuration files that have a schema.
pub struct JsonSchemas;

impl JsonSchemas {
    /// Every schema: its file name under `schemas/` and its pretty-printed text (with a final newline).
    pub fn all() -> Vec<(&'static str, String)> {
        vec![
            ("ecosystem.schema.json", render(&Ecosystem::json_schema())),
            (
                "ecosync.schema.json",
                render(&schemars::schema_for!(CousinConfigFile)),
            ),
        ]
    }
}

fn render(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
