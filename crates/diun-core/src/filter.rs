//! Which updates a listing, a summary or a bulk change applies to, and the
//! text that free-text search looks into.

use chrono::{DateTime, Utc};

use crate::{Metadata, UpdateState};

/// Filters for listing updates; every field left `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateFilter {
    /// Only updates in this state (see [`crate::Update::state`]).
    pub state: Option<UpdateState>,
    /// Only updates of this image reference (exact match), on any host.
    pub image: Option<String>,
    /// Only pending updates that became pending before this instant
    /// ([`crate::Update::pending_since`]): what reminders look for.
    pub pending_before: Option<DateTime<Utc>>,
    /// Only updates whose image carries this tag, or no tag.
    pub tag: Option<TagFilter>,
    /// Only updates from this Diun host (exact match).
    pub host: Option<String>,
    /// Free text: every word of it must appear, ignoring case, in the image,
    /// the host or a container, service, pod, job or task name (see [`search_text`]).
    pub query: Option<String>,
}

impl UpdateFilter {
    /// The pending updates: not acknowledged, not muted, not snoozed.
    pub fn pending() -> Self {
        UpdateFilter { state: Some(UpdateState::Pending), ..UpdateFilter::default() }
    }

    /// The same filter without its state part, for the operations that ignore
    /// it (a summary counts every state).
    pub fn any_state(&self) -> Self {
        UpdateFilter { state: None, ..self.clone() }
    }

    /// The filter an [`AckSelector::Filter`] applies to the updates not
    /// acknowledged: its state kept when it names one of theirs, dropped otherwise.
    pub fn for_bulk_change(&self) -> Self {
        match self.state {
            Some(UpdateState::Acknowledged) => self.any_state(),
            _ => self.clone(),
        }
    }

    /// The words of [`UpdateFilter::query`], folded as [`search_text`] folds,
    /// each of which must appear in an update's search text.
    pub fn search_terms(&self) -> Vec<String> {
        self.query.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect()
    }
}

/// The tag part of an [`UpdateFilter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFilter {
    /// Images carrying the tag with this id.
    Id(i64),
    /// Images without a tag.
    Untagged,
}

/// Which updates a bulk acknowledgment (or a snooze) covers; only updates
/// not acknowledged yet change: pending, snoozed and muted alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckSelector {
    /// These updates.
    Ids(Vec<i64>),
    /// Every update whose image carries this tag.
    Tag(i64),
    /// Every update.
    All,
    /// Every update the filter matches. A filter's state narrows the
    /// selection when it names a state other than acknowledged (acknowledge
    /// what a "snoozed" view shows); otherwise it is ignored.
    Filter(UpdateFilter),
    /// Every update of this image reference, on every host.
    Image(String),
}

/// Which acknowledged updates become pending again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnackSelector {
    /// These updates.
    Ids(Vec<i64>),
    /// Every update acknowledged at exactly this instant: the undo of one bulk
    /// acknowledgment, which writes one instant on every update it changes.
    AcknowledgedAt(DateTime<Utc>),
}

/// The text free-text search looks into for one update: the image, the host
/// and the names of the workloads running it, each on its own line, folded to
/// lower case in Rust so that every backend compares the same characters.
///
/// Workload names come from the metadata each Diun provider sets: Docker's
/// `ctn_names` (comma-separated, without the leading `/`), Kubernetes'
/// `pod_namespace/pod_name`, Nomad's `job_name` and `task_name`, and
/// `ctn_name` (Swarm, containerd, Kubernetes).
pub fn search_text(image: &str, hostname: &str, metadata: &Metadata) -> String {
    let field = |key: &str| metadata.get(key).map(|v| v.trim()).unwrap_or("");
    let mut names: Vec<String> = Vec::new();
    let mut push = |name: String| {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    };
    for part in field("ctn_names").split(',') {
        push(part.trim().trim_start_matches('/').to_owned());
    }
    if !field("pod_name").is_empty() {
        let namespace = field("pod_namespace");
        let pod = field("pod_name");
        push(if namespace.is_empty() { pod.to_owned() } else { format!("{namespace}/{pod}") });
    }
    for key in ["job_name", "task_name", "ctn_name"] {
        push(field(key).to_owned());
    }
    let mut text = format!("{image}\n{hostname}");
    for name in names {
        text.push('\n');
        text.push_str(&name);
    }
    text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_holds_image_host_and_workload_names_in_lower_case() {
        let metadata: Metadata = [
            ("ctn_names", "/web, /db ,"),
            ("pod_namespace", "Media"),
            ("pod_name", "Jellyfin-0"),
            ("ctn_name", "web"),
            ("job_name", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(search_text("Nginx:1.27", "NAS", &metadata), "nginx:1.27\nnas\nweb\ndb\nmedia/jellyfin-0");
        assert_eq!(search_text("nginx", "nas", &Metadata::new()), "nginx\nnas");
    }

    #[test]
    fn search_terms_are_the_folded_words_of_the_query() {
        let filter = UpdateFilter { query: Some("  NGINX  Straße ".into()), ..Default::default() };
        assert_eq!(filter.search_terms(), ["nginx", "straße"]);
        assert!(UpdateFilter::default().search_terms().is_empty());
    }
}
