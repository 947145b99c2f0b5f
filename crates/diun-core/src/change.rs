//! The change feed: what changed in a store, as it is committed.
//!
//! A [`Change`] names what changed, never the new state: a reader refetches
//! what it shows. How changes reach a reader is in [`crate::feed`].

use serde::{Deserialize, Serialize};

/// One committed change, as JSON `{"type": "update.created", "id": 7}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum Change {
    /// A notification for an unknown image and host made a new update.
    #[serde(rename = "update.created")]
    UpdateCreated {
        /// The new update.
        id: i64,
    },
    /// A notification changed a known update: a new digest, or a re-sent
    /// notification refreshing `last_seen_at` and `event_count`.
    #[serde(rename = "update.changed")]
    UpdateChanged {
        /// The changed update.
        id: i64,
    },
    /// Pending updates became acknowledged.
    #[serde(rename = "update.acknowledged")]
    UpdatesAcknowledged {
        /// The updates that changed; never empty.
        ids: Vec<i64>,
    },
    /// Acknowledged updates became pending again by a user's request.
    #[serde(rename = "update.unacknowledged")]
    UpdatesUnacknowledged {
        /// The updates that changed; never empty.
        ids: Vec<i64>,
    },
    /// Updates were removed, with their history.
    #[serde(rename = "update.deleted")]
    UpdatesDeleted {
        /// The removed updates; never empty.
        ids: Vec<i64>,
    },
    /// A tag was made.
    #[serde(rename = "tag.created")]
    TagCreated {
        /// The new tag.
        id: i64,
    },
    /// A tag took another name.
    #[serde(rename = "tag.renamed")]
    TagRenamed {
        /// The renamed tag.
        id: i64,
    },
    /// A tag was deleted; the images it held are untagged now.
    #[serde(rename = "tag.deleted")]
    TagDeleted {
        /// The deleted tag.
        id: i64,
    },
    /// An image (on every host) went under another tag, or out of its tag.
    #[serde(rename = "assignment.changed")]
    AssignmentChanged {
        /// The image reference.
        image: String,
        /// Its tag now; `None` when it has none.
        tag_id: Option<i64>,
    },
    /// Updates were snoozed until a time.
    #[serde(rename = "snoozed")]
    Snoozed {
        /// The updates that changed; never empty.
        ids: Vec<i64>,
        /// Until when.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// Snoozes ended: by a user, by a new digest, or because their time came.
    #[serde(rename = "unsnoozed")]
    Unsnoozed {
        /// The updates that changed; never empty.
        ids: Vec<i64>,
    },
    /// A mute rule muted updates.
    #[serde(rename = "muted")]
    Muted {
        /// The updates that changed; never empty.
        ids: Vec<i64>,
        /// The rule.
        rule: i64,
    },
    /// Updates lost their mute (their rule was deleted, or a new digest is not covered).
    #[serde(rename = "unmuted")]
    Unmuted {
        /// The updates that changed; never empty.
        ids: Vec<i64>,
    },
    /// A mute rule was made or deleted.
    #[serde(rename = "mute_rules")]
    MuteRulesChanged,
    /// The feed may have missed changes (its connection to the database broke
    /// and came back): a reader should refetch everything it shows.
    #[serde(rename = "resync")]
    Resync,
}

impl Change {
    /// The wire name of the variant, such as `"update.created"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::UpdateCreated { .. } => "update.created",
            Change::UpdateChanged { .. } => "update.changed",
            Change::UpdatesAcknowledged { .. } => "update.acknowledged",
            Change::UpdatesUnacknowledged { .. } => "update.unacknowledged",
            Change::UpdatesDeleted { .. } => "update.deleted",
            Change::TagCreated { .. } => "tag.created",
            Change::TagRenamed { .. } => "tag.renamed",
            Change::TagDeleted { .. } => "tag.deleted",
            Change::AssignmentChanged { .. } => "assignment.changed",
            Change::Snoozed { .. } => "snoozed",
            Change::Unsnoozed { .. } => "unsnoozed",
            Change::Muted { .. } => "muted",
            Change::Unmuted { .. } => "unmuted",
            Change::MuteRulesChanged => "mute_rules",
            Change::Resync => "resync",
        }
    }

    /// The JSON form, on one line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a change always serialises")
    }

    /// Splits a change carrying a list of ids into changes of at most
    /// `max_ids` ids each, for transports that limit a message's size; any
    /// other change comes back alone.
    pub fn into_chunks(self, max_ids: usize) -> Vec<Change> {
        let max_ids = max_ids.max(1);
        let split =
            |ids: Vec<i64>, make: fn(Vec<i64>) -> Change| ids.chunks(max_ids).map(|c| make(c.to_vec())).collect();
        match self {
            Change::UpdatesAcknowledged { ids } if ids.len() > max_ids => {
                split(ids, |ids| Change::UpdatesAcknowledged { ids })
            }
            Change::UpdatesUnacknowledged { ids } if ids.len() > max_ids => {
                split(ids, |ids| Change::UpdatesUnacknowledged { ids })
            }
            Change::UpdatesDeleted { ids } if ids.len() > max_ids => split(ids, |ids| Change::UpdatesDeleted { ids }),
            Change::Unsnoozed { ids } if ids.len() > max_ids => split(ids, |ids| Change::Unsnoozed { ids }),
            Change::Unmuted { ids } if ids.len() > max_ids => split(ids, |ids| Change::Unmuted { ids }),
            Change::Snoozed { ids, until } if ids.len() > max_ids => {
                ids.chunks(max_ids).map(|c| Change::Snoozed { ids: c.to_vec(), until }).collect()
            }
            Change::Muted { ids, rule } if ids.len() > max_ids => {
                ids.chunks(max_ids).map(|c| Change::Muted { ids: c.to_vec(), rule }).collect()
            }
            other => vec![other],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_and_fields() {
        let cases = [
            (Change::UpdateCreated { id: 7 }, r#"{"type":"update.created","id":7}"#),
            (Change::UpdatesAcknowledged { ids: vec![1, 2] }, r#"{"type":"update.acknowledged","ids":[1,2]}"#),
            (
                Change::AssignmentChanged { image: "nginx".into(), tag_id: None },
                r#"{"type":"assignment.changed","image":"nginx","tag_id":null}"#,
            ),
            (Change::Resync, r#"{"type":"resync"}"#),
            (Change::MuteRulesChanged, r#"{"type":"mute_rules"}"#),
            (Change::Muted { ids: vec![3], rule: 2 }, r#"{"type":"muted","ids":[3],"rule":2}"#),
            (
                Change::Snoozed { ids: vec![4], until: chrono::DateTime::from_timestamp(1_764_662_400, 0).unwrap() },
                r#"{"type":"snoozed","ids":[4],"until":"2025-12-02T08:00:00Z"}"#,
            ),
        ];
        for (change, json) in cases {
            assert_eq!(change.to_json(), json);
            assert_eq!(serde_json::from_str::<Change>(json).unwrap(), change);
            assert!(json.contains(change.kind()));
        }
    }

    #[test]
    fn long_id_lists_split_in_order() {
        let chunks = Change::UpdatesDeleted { ids: (1..=5).collect() }.into_chunks(2);
        assert_eq!(
            chunks,
            [
                Change::UpdatesDeleted { ids: vec![1, 2] },
                Change::UpdatesDeleted { ids: vec![3, 4] },
                Change::UpdatesDeleted { ids: vec![5] }
            ]
        );
        assert_eq!(Change::TagDeleted { id: 1 }.into_chunks(1), [Change::TagDeleted { id: 1 }]);
    }
}
