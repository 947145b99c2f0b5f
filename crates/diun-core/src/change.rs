//! The change feed: what changed in a store, as it is committed.
//!
//! A [`Change`] names what changed, never the new state: a reader refetches
//! what it shows. [`Store::subscribe`](crate::Store::subscribe) hands out a
//! [`ChangeSubscription`]; stores fan changes out with a [`ChangeBroadcaster`].

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Mutex;
use std::time::Duration;

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
            other => vec![other],
        }
    }
}

/// Hands each change to every live [`ChangeSubscription`] made from it.
///
/// Sending never blocks; subscriptions whose receiving end was dropped are
/// forgotten at the next send.
#[derive(Debug, Default)]
pub struct ChangeBroadcaster {
    senders: Mutex<Vec<Sender<Change>>>,
}

impl ChangeBroadcaster {
    /// A broadcaster without subscriptions.
    pub fn new() -> Self {
        ChangeBroadcaster::default()
    }

    /// A new subscription that receives every change sent from now on.
    pub fn subscribe(&self) -> ChangeSubscription {
        let (sender, receiver) = mpsc::channel();
        self.lock().push(sender);
        ChangeSubscription { receiver }
    }

    /// Sends `change` to every live subscription.
    pub fn send(&self, change: &Change) {
        self.lock().retain(|sender| sender.send(change.clone()).is_ok());
    }

    /// Sends each of `changes`, in order.
    pub fn send_all(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        self.lock().retain(|sender| changes.iter().all(|change| sender.send(change.clone()).is_ok()));
    }

    /// How many subscriptions are live (as of the last send).
    pub fn subscriber_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sender<Change>>> {
        // A panic while holding the lock cannot leave the list inconsistent.
        self.senders.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The receiving end of a store's change feed; also an iterator that
/// blocks for each change and ends when the feed closes (its store is gone).
#[derive(Debug)]
pub struct ChangeSubscription {
    receiver: Receiver<Change>,
}

impl ChangeSubscription {
    /// Waits for the next change; `None` once the feed has closed.
    pub fn recv(&self) -> Option<Change> {
        self.receiver.recv().ok()
    }

    /// Waits at most `timeout` for the next change.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Change, RecvTimeoutError> {
        self.receiver.recv_timeout(timeout)
    }

    /// The next change if one is waiting.
    pub fn try_recv(&self) -> Result<Change, TryRecvError> {
        self.receiver.try_recv()
    }
}

impl Iterator for ChangeSubscription {
    type Item = Change;

    fn next(&mut self) -> Option<Change> {
        self.recv()
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

    #[test]
    fn every_live_subscription_gets_each_change_and_dropped_ones_are_forgotten() {
        let broadcaster = ChangeBroadcaster::new();
        let (first, second) = (broadcaster.subscribe(), broadcaster.subscribe());
        broadcaster.send(&Change::TagCreated { id: 1 });
        drop(second);
        broadcaster.send_all(&[Change::TagRenamed { id: 1 }, Change::TagDeleted { id: 1 }]);
        assert_eq!(broadcaster.subscriber_count(), 1);
        let received: Vec<Change> = std::iter::from_fn(|| first.try_recv().ok()).collect();
        assert_eq!(
            received,
            [Change::TagCreated { id: 1 }, Change::TagRenamed { id: 1 }, Change::TagDeleted { id: 1 }]
        );
        drop(broadcaster);
        assert_eq!(first.recv(), None);
    }
}
