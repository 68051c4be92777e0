//! The dispatcher's pipeline, in the order a push goes through it: what `ecosystem.json` says
//! ([`ecosystem`]: its entries, their path patterns compiled into one matcher, each entry's delivery mode),
//! the [`plan`] (the GitHub event, the revision range and its watermark, the changed paths, the plan and its
//! shards), then [`deliver`] (payloads, the fan-out, the modes the dispatcher delivers itself, the report and
//! the failure notice). [`run`] is the whole pipeline `dispatch`, `flush` and `watch` call; [`forecast`] runs
//! the subscriber's engine ahead of a merge; [`dispatcher_checks`] is what `doctor` checks for it.

pub mod deliver;
pub mod dispatch_run;
pub mod dispatch_text;
pub mod dispatcher_checks;
pub mod ecosystem;
pub mod forecast;
pub mod plan;
pub mod validation;

pub use deliver::{DeliverySettings, deliver, preview};
pub use dispatch_run::{
    DispatchError, DispatchEvent, DispatchOutcome, DispatchRequest, DispatchRun, PlanSource, run,
};
