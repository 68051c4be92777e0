//! `doctor`: the permissions a run needs, checked with the configured credentials before anything is
//! written, as a table of check, result and the exact fix.
//!
//! [`dispatcher_checks`] and [`subscriber_checks`] decide which checks each binary needs; [`capability`]
//! judges one write permission from what the forge says ([`crate::forge::permissions`]); the report
//! ([`doctor_report`]) renders them. Every request is a read.

pub mod capability;
pub mod common_checks;
pub mod dispatcher_checks;
pub mod doctor_report;
pub mod subscriber_checks;

pub use doctor_report::{Check, DoctorReport, Verdict};
