//! What both configuration files (`ecosystem.json` and the subscriber's `.github/ecosync.json`) share: a
//! JSON document that keeps every value's position, and diagnostics that name the file, line and column.

pub mod diagnostic;
pub mod json_document;
pub mod json_pointer_span;
