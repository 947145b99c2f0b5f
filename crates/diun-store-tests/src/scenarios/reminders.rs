//! Reminder slots: one claim wins, in one process or across several.

use std::sync::{Arc, Barrier};

use chrono::Duration;

use super::{at, fresh, record, Make};

/// The first claim of a slot wins; a second claim of it, later or by
/// another schedule name, is told apart.
pub fn one_claim_of_a_reminder_slot_wins(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let revision = store.revision().unwrap();
    assert!(store.claim_reminder_slot("daily 09:00 UTC", at(0), at(1)).unwrap());
    assert!(!store.claim_reminder_slot("daily 09:00 UTC", at(0), at(2)).unwrap(), "the slot is taken");
    // Another slot of the schedule, and the same instant of another schedule, are free.
    assert!(store.claim_reminder_slot("daily 09:00 UTC", at(24 * 60), at(24 * 60 + 1)).unwrap());
    assert!(store.claim_reminder_slot("weekly Mon 09:00 UTC", at(0), at(3)).unwrap());
    // Bookkeeping only: the data did not change.
    assert_eq!(store.revision().unwrap(), revision);
    // Unrelated to updates: recording one frees no slot.
    record(store, "nas", "a", "sha256:1", 1);
    assert!(!store.claim_reminder_slot("weekly Mon 09:00 UTC", at(0), at(4)).unwrap());
    // Claims long past are forgotten (so the table stays small); recent ones are kept.
    let much_later = at(0) + Duration::days(200);
    assert!(store.claim_reminder_slot("daily 09:00 UTC", much_later, much_later).unwrap());
    assert!(store.claim_reminder_slot("daily 09:00 UTC", at(0), much_later).unwrap(), "forgotten, claimable again");
    assert!(!store.claim_reminder_slot("daily 09:00 UTC", much_later, much_later).unwrap());
}

/// Eight claims at once, through two stores on one database when the
/// harness can open a second (as two replicas would): exactly one wins.
pub fn concurrent_claims_of_a_reminder_slot_across_stores(make: Make<'_>) {
    let h = fresh(make);
    let other = h.reopen();
    let stores: Vec<&dyn diun_core::Store> = match &other {
        Some(other) => vec![h.store(), other.as_ref()],
        None => vec![h.store()],
    };
    for round in 0..3 {
        let slot = at(round * 60);
        let barrier = Arc::new(Barrier::new(8));
        let wins: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|n| {
                    let store = stores[n % stores.len()];
                    let barrier = Arc::clone(&barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        store.claim_reminder_slot("daily 09:00 Europe/Paris", slot, slot).expect("claim")
                    })
                })
                .collect();
            handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
        });
        assert_eq!(wins, 1, "round {round}: exactly one claim wins");
    }
}
