//! What both configuration files (`ecosystem.json` and the subscriber's `.github/ecosync.json`) share: a
//! JSON document that keeps every value's position, diagnostics that name the file, line and column, the
//! index that turns positions into lines and columns, and "did you mean" for misspelt keys.

pub mod diagnostic;
pub mod did_you_mean;
pub mod json_document;
pub mod line_index;
