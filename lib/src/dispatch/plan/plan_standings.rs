//! `plan_standings`: what the source repository records about the planned targets' rejections and
//! reversals, attached to a plan's deliveries so `plan` (and whatever else shows a plan) says which targets
//! are held back: one listing of the source's issues labelled `ecosync-rejected`.

use crate::dispatch::plan::Plan;
use crate::forge::{Forge, ForgeError};
use crate::repo_name::RepoName;
use crate::sync::rejection::standing;
use crate::sync::rejection::target_standing::TargetStanding;

impl Plan {
    /// Reads what `source` records (one request) and attaches it to each delivery it concerns; returns
    /// how many are held back.
    pub async fn read_standings(
        &mut self,
        forge: &Forge,
        source: &RepoName,
    ) -> Result<usize, ForgeError> {
        if self.deliveries.is_empty() {
            return Ok(0);
        }
        let records = standing::recorded_all(forge, source).await?;
        let mut held = 0;
        for d in &mut self.deliveries {
            d.standing = records
                .iter()
                .find(|s| s.target == d.repo && &s.upstream == source)
                .and_then(TargetStanding::from_record)
                .map(Box::new);
            held += usize::from(d.standing.is_some());
        }
        Ok(held)
    }

    /// The deliveries something holds back, with what.
    pub fn held_back(&self) -> impl Iterator<Item = (&RepoName, &TargetStanding)> {
        self.deliveries
            .iter()
            .filter_map(|d| d.standing.as_deref().map(|s| (&d.repo, s)))
    }
}
