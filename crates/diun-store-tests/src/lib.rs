//! One backend-agnostic scenario suite, run against every [`Store`].
//!
//! The scenarios ([`scenarios`]) are the contract of [`Store`] written as
//! code: ordering, paging snapshots, acknowledgment rules, tags, the change
//! feed, revisions, concurrency. Every store of this project runs them, and
//! so can any other implementation of [`Store`].
//!
//! # Running the suite against your own store
//!
//! 1. Add this crate as a dev-dependency of the crate holding your store.
//! 2. Write a [`Harness`]: it owns one fresh, empty store and whatever keeps
//!    it alive (a temp dir, a throwaway database), cleaned up on drop.
//!    Implement [`Harness::reopen`] if a second store can be opened on the
//!    same data, as a second process would; the scenarios about sharing
//!    are skipped otherwise.
//! 3. In a file under `tests/`, call [`conformance_suite!`] with a function
//!    (or closure) from [`StoreOptions`] to `Option<YourHarness>`. It expands
//!    to one `#[test]` per scenario, each on a fresh store made with the
//!    options that scenario needs (a small history limit, say).
//!
//! Return `None` when the backend is not available on this machine (no
//! database server configured): the scenarios then pass without running,
//! so say so on stderr, and better, fail instead under CI.
//!
//! The in-memory store of this crate ([`memory::MemoryStore`]) is run exactly
//! that way, in `tests/memory.rs`; its clones share one store, so it can
//! also reopen:
//!
//! ```
//! use diun_core::Store;
//! use diun_store_tests::memory::MemoryStore;
//! use diun_store_tests::{Harness, StoreOptions};
//!
//! struct MemoryHarness(MemoryStore);
//!
//! impl Harness for MemoryHarness {
//!     fn store(&self) -> &dyn Store {
//!         &self.0
//!     }
//!
//!     fn reopen(&self) -> Option<Box<dyn Store>> {
//!         Some(Box::new(self.0.clone()))
//!     }
//! }
//!
//! fn memory(options: StoreOptions) -> Option<MemoryHarness> {
//!     Some(MemoryHarness(MemoryStore::new(&options)))
//! }
//!
//! diun_store_tests::conformance_suite!(memory);
//! # fn main() {}
//! ```
//!
//! A database-backed store looks the same, with a temp file or a throwaway
//! database in the harness (see this repository's `tests/sqlite.rs` and
//! `diun-store-pg/tests/conformance.rs`).
#![warn(missing_docs)]

use diun_core::Store;
pub use diun_core::StoreOptions;

pub mod memory;
#[cfg(feature = "model")]
pub mod model;
pub mod scenarios;

/// A fresh store for one scenario, and whatever keeps it alive.
pub trait Harness {
    /// The store under test.
    fn store(&self) -> &dyn Store;

    /// Another store opened on the same database, as a second process would,
    /// for the scenarios about sharing it; `None` skips them.
    fn reopen(&self) -> Option<Box<dyn Store>> {
        None
    }
}

/// Expands to one `#[test]` per scenario of [`scenarios`], each on a fresh store.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@tests $make;
            new_pair_becomes_pending_update,
            same_digest_keeps_acknowledgment,
            new_digest_clears_acknowledgment_and_takes_new_fields,
            null_created_and_empty_metadata_round_trip,
            same_image_on_two_hosts_are_two_updates,
            history_is_newest_first_and_capped,
            list_orders_by_last_seen,
            filter_by_acknowledged,
            filter_by_host,
            filter_by_query_ignores_case_and_wildcards,
            filter_by_tag_and_untagged,
            filters_combine,
            acknowledge_one_and_undo,
            acknowledge_keeps_first_time,
            bulk_acknowledge_counts_changes,
            bulk_acknowledge_by_unknown_tag_is_not_found,
            delete_update_removes_history,
            unknown_ids_are_not_found,
            tag_names_unique_ignoring_case,
            rename_tag,
            delete_tag_removes_assignments,
            assignment_follows_image_across_hosts,
            assignment_to_unknown_tag_is_not_found,
            tag_counts_images,
            stats_count_pending_per_host,
            retention_deletes_old_acknowledged,
            concurrent_upserts_of_one_image,
            concurrent_upserts_of_distinct_images,
            ping_answers,
            feed_announces_update_changes,
            feed_announces_bulk_changes,
            feed_carries_long_id_lists,
            feed_announces_tag_changes,
            feed_reaches_every_subscription_once,
            feed_announces_one_creation_under_concurrency,
            feed_crosses_store_instances,
            feed_bounds_a_subscriber_that_does_not_read,
            times_come_back_cut_to_microseconds,
            pages_are_bounded_and_ordered,
            paging_sees_each_update_once_while_webhooks_arrive,
            a_walk_keeps_its_order_and_shows_current_fields,
            search_covers_host_and_workload_names,
            summary_counts_by_tag_and_host,
            every_write_advances_the_revision,
            acknowledge_by_filter_and_undo_by_instant,
            bulk_acknowledge_of_forty_thousand,
            images_move_between_tags_in_bulk,
            summary_follows_every_kind_of_write,
            a_batch_records_like_single_calls,
            each_of_a_batch_records_like_single_calls,
            one_claim_of_a_reminder_slot_wins,
            concurrent_claims_of_a_reminder_slot_across_stores,
            snooze_hides_until_woken,
            a_new_digest_ends_a_snooze,
            snooze_skips_acknowledged_and_unsnooze_ends_it,
            mute_rules_mute_matching_notifications,
            mute_rules_restrict_to_host_and_status,
            a_new_rule_mutes_open_updates,
            deleting_a_rule_restores_its_updates,
            acknowledge_by_image_across_hosts,
            images_group_updates_across_hosts,
            pending_since_and_pending_before,
            export_and_import_keep_triage,
            a_version_1_stream_still_imports,
            a_merge_keeps_the_targets_rules_and_updates,
            an_import_of_rules_is_all_or_nothing,
        );
    };
    (@tests $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                let make = $make;
                // The first store also tells whether the backend is available;
                // it serves the scenario's first request for default options.
                let Some(first) = make(<$crate::StoreOptions>::default()) else { return };
                let first = ::std::cell::RefCell::new(Some(first));
                $crate::scenarios::$name(&|options| {
                    let reused = if options == <$crate::StoreOptions>::default() { first.borrow_mut().take() } else { None };
                    let harness = reused.unwrap_or_else(|| make(options).expect("the backend was available a moment ago"));
                    Box::new(harness) as Box<dyn $crate::Harness>
                });
            }
        )+
    };
}
