//! The change feed as an async `Stream` (feature `stream`), polled by a real
//! tokio runtime while other threads send, and read from plain threads.

use std::time::Duration;

use diun_core::{Change, ChangeBroadcaster};
use futures_util::StreamExt;

/// A multi-threaded runtime reads every change sent from plain threads, in
/// order per sender, without a thread of its own waiting for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokio_task_reads_changes_sent_from_threads() {
    let broadcaster = ChangeBroadcaster::new();
    let mut changes = broadcaster.subscribe().into_stream();
    let sender = std::thread::spawn(move || {
        for id in 0..500 {
            broadcaster.send(&Change::UpdateCreated { id });
            if id % 100 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        // Dropping the broadcaster ends the stream.
    });
    let mut received = Vec::new();
    while let Some(change) =
        tokio::time::timeout(Duration::from_secs(10), changes.next()).await.expect("a change in time")
    {
        received.push(change);
    }
    sender.join().unwrap();
    assert_eq!(received, (0..500).map(|id| Change::UpdateCreated { id }).collect::<Vec<_>>());
}

/// A single-threaded runtime is woken by a send from another thread: the
/// stream registers its waker, and pending is not a busy loop.
#[tokio::test(flavor = "current_thread")]
async fn a_current_thread_runtime_is_woken_by_a_send() {
    let broadcaster = std::sync::Arc::new(ChangeBroadcaster::new());
    let mut changes = broadcaster.subscribe().into_stream();
    let sending = std::sync::Arc::clone(&broadcaster);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        sending.send(&Change::TagCreated { id: 3 });
    });
    let next = tokio::time::timeout(Duration::from_secs(5), changes.next()).await;
    assert_eq!(next, Ok(Some(Change::TagCreated { id: 3 })));
}

/// A stream that is not polled is bounded like any subscription: it holds
/// one resync after far more changes than its capacity.
#[tokio::test(flavor = "current_thread")]
async fn an_unpolled_stream_overflows_into_one_resync() {
    let broadcaster = ChangeBroadcaster::with_capacity(8);
    let mut changes = broadcaster.subscribe().into_stream();
    for id in 0..10_000 {
        broadcaster.send(&Change::UpdateChanged { id });
    }
    assert_eq!(changes.next().await, Some(Change::Resync));
    broadcaster.send(&Change::TagDeleted { id: 1 });
    assert_eq!(changes.next().await, Some(Change::TagDeleted { id: 1 }));
}

/// Plain threads, no runtime: several readers each get every change.
#[test]
fn plain_threads_read_every_change() {
    let broadcaster = ChangeBroadcaster::new();
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let subscription = broadcaster.subscribe();
            std::thread::spawn(move || subscription.collect::<Vec<_>>())
        })
        .collect();
    for id in 0..300 {
        broadcaster.send(&Change::UpdateCreated { id });
    }
    drop(broadcaster);
    for reader in readers {
        assert_eq!(reader.join().unwrap(), (0..300).map(|id| Change::UpdateCreated { id }).collect::<Vec<_>>());
    }
}
