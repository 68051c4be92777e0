//! `dispatcher demo`: a source repository and its downstream repositories on a local forge, ready for one
//! delivery through the real pipeline, and the plain words the demo says about it.
//!
//! - [`DemoSample`]: a sample monorepo and three downstream repositories of different shapes (also used by
//!   tests of the whole chain).
//! - [`own_repository`]: a copy of the user's own repository, with a downstream repository seeded at the
//!   range's base for each `ecosystem.json` entry (`dispatcher demo --from PATH`).
//! - [`DemoForge`]: either of them, as the demo runs it.
//! - [`entry_story`] and [`own_subscriptions`]: what each entry gets and why, before the delivery; and,
//!   after a downstream repository applied it, what arrived that its entry did not ask for (or the reverse).

pub mod demo_forge;
pub mod demo_sample;
pub mod entry_story;
pub mod own_repository;
pub mod own_subscriptions;

pub use demo_forge::{DemoForge, DemoTarget};
pub use demo_sample::{DemoSample, DemoSampleError, SOURCE};
