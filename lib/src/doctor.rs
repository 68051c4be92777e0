//! `doctor`: the permissions a run needs, checked with the configured credentials before anything is
//! written, as a table of check, result and the exact fix.
//!
//! Each pipeline decides which checks it needs ([`crate::dispatch::dispatcher_checks`],
//! [`crate::sync::subscriber_checks`], whose preflight runs before every sync); [`capability`] judges one write permission from what the forge says ([`crate::forge::permissions`]); the report
//! ([`doctor_report`]) renders them. Every request is a read.

pub mod capability;
pub mod common_checks;
pub mod doctor_report;

pub use doctor_report::{Check, DoctorReport, Verdict};
