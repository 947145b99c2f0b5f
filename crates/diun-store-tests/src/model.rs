//! The model-based store test (feature `model`): random sequences of store
//! operations run against a real backend and against the in-memory store
//! ([`MemoryStore`]) as the model, comparing what each answers and all that
//! can be observed after every step.
//!
//! [proptest](https://docs.rs/proptest) generates the sequences: records
//! with repeated and new digests (alone and in batches), acknowledgments and
//! their undo, bulk acknowledgments by ids, tag, filter and all, deletions,
//! retention, tags (names that clash ignoring case), assignments one by one
//! and in bulk. A divergence shrinks to a minimal sequence, printed with
//! what each store answered.
//!
//! Backends assign ids themselves, so operations name updates by
//! `(hostname, image)` and tags by their place in [`Store::list_tags`], and
//! the comparison leaves ids out.
//!
//! ```no_run
//! use diun_store_tests::memory::MemoryStore;
//! use diun_store_tests::model;
//!
//! // A store of one's own, made with the model's options.
//! let store = MemoryStore::new(&model::options());
//! model::check_against_model(&store, 32, 20);
//! ```

use std::collections::HashMap;
use std::fmt::Debug;

use chrono::{DateTime, Duration, TimeZone, Utc};
use diun_core::{
    page, AckSelector, Notification, Store, StoreError, StoreOptions, StoreResult, Summary, TagFilter, TagName, TagRef,
    UnackSelector, Update, UpdateEvent, UpdateFilter,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::memory::MemoryStore;

/// The options both stores are made with: a short history, so that its cap is exercised.
pub fn options() -> StoreOptions {
    StoreOptions { history_limit: 3, ..StoreOptions::default() }
}

const HOSTS: [&str; 2] = ["nas", "pi"];
const IMAGES: [&str; 4] = ["nginx:1.27", "redis:7", "jellyfin", "ghcr.io/a/app"];
const PAIRS: usize = HOSTS.len() * IMAGES.len();
const DIGESTS: [&str; 3] = ["sha256:a", "sha256:b", "sha256:c"];
/// Names that clash ignoring case, beyond ASCII too.
const TAG_NAMES: [&str; 5] = ["media", "Media", "infra", "ÉTÉ", "été"];
const QUERIES: [&str; 4] = ["nginx", "NAS", "a", " pi  redis "];
/// An id no store hands out in a test this short.
const MISSING: i64 = 1_000_000_000;

/// Which updates a filter of an operation selects.
#[derive(Debug, Clone)]
pub enum FilterSpec {
    /// Those of `HOSTS[i]`.
    Host(usize),
    /// Those matching `QUERIES[i]`.
    Query(usize),
    /// Those whose image has no tag.
    Untagged,
    /// Those whose image carries the `i`th tag.
    Tag(usize),
}

/// One store operation. Updates are named by their index into the
/// `(hostname, image)` pairs, tags by their index into [`Store::list_tags`];
/// an index that names nothing becomes an id that does not exist.
#[derive(Debug, Clone)]
pub enum Op {
    /// Moves the clock on by `advance` minutes, then records a notification.
    Record {
        /// The `(hostname, image)` pair.
        pair: usize,
        /// Index of the digest.
        digest: usize,
        /// Minutes the clock moves first (0 makes ties).
        advance: i64,
    },
    /// Records several notifications in one call, at the current time.
    Batch(Vec<(usize, usize)>),
    /// [`Store::set_acknowledged`].
    SetAcknowledged(usize, bool),
    /// Bulk acknowledgment of these pairs.
    AcknowledgeIds(Vec<usize>),
    /// Bulk acknowledgment by tag.
    AcknowledgeTag(usize),
    /// Bulk acknowledgment of everything.
    AcknowledgeAll,
    /// Bulk acknowledgment by filter.
    AcknowledgeFilter(FilterSpec),
    /// Makes these pairs pending again.
    UnacknowledgeIds(Vec<usize>),
    /// Undoes the acknowledgments made this many minutes ago.
    UnacknowledgeAt(i64),
    /// [`Store::delete_update`].
    Delete(usize),
    /// Retention: deletes what was acknowledged before this many minutes ago.
    Retention(i64),
    /// Creates a tag named `TAG_NAMES[i]`.
    CreateTag(usize),
    /// Renames a tag to `TAG_NAMES[name]`.
    RenameTag(usize, usize),
    /// Deletes a tag.
    DeleteTag(usize),
    /// Puts `IMAGES[image]` under a tag.
    Assign(usize, usize),
    /// Takes `IMAGES[image]` out of its tag.
    Unassign(usize),
    /// Puts these images under a tag, or out of any.
    SetImageTags(Vec<usize>, Option<usize>),
}

fn filter_spec() -> impl Strategy<Value = FilterSpec> {
    prop_oneof![
        (0..HOSTS.len()).prop_map(FilterSpec::Host),
        (0..QUERIES.len()).prop_map(FilterSpec::Query),
        Just(FilterSpec::Untagged),
        (0..3usize).prop_map(FilterSpec::Tag),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let pair = || 0..PAIRS;
    let tag = || 0..3usize;
    let image = || 0..IMAGES.len();
    prop_oneof![
        8 => (pair(), 0..DIGESTS.len(), 0..3i64).prop_map(|(pair, digest, advance)| Op::Record { pair, digest, advance }),
        2 => proptest::collection::vec((pair(), 0..DIGESTS.len()), 1..4).prop_map(Op::Batch),
        3 => (pair(), any::<bool>()).prop_map(|(pair, acknowledged)| Op::SetAcknowledged(pair, acknowledged)),
        2 => proptest::collection::vec(pair(), 0..4).prop_map(Op::AcknowledgeIds),
        1 => tag().prop_map(Op::AcknowledgeTag),
        1 => Just(Op::AcknowledgeAll),
        2 => filter_spec().prop_map(Op::AcknowledgeFilter),
        1 => proptest::collection::vec(pair(), 0..4).prop_map(Op::UnacknowledgeIds),
        2 => (0..4i64).prop_map(Op::UnacknowledgeAt),
        2 => pair().prop_map(Op::Delete),
        2 => (0..4i64).prop_map(Op::Retention),
        3 => (0..TAG_NAMES.len()).prop_map(Op::CreateTag),
        1 => (tag(), 0..TAG_NAMES.len()).prop_map(|(tag, name)| Op::RenameTag(tag, name)),
        1 => tag().prop_map(Op::DeleteTag),
        3 => (image(), tag()).prop_map(|(image, tag)| Op::Assign(image, tag)),
        1 => image().prop_map(Op::Unassign),
        2 => (proptest::collection::vec(image(), 0..4), proptest::option::of(tag()))
            .prop_map(|(images, tag)| Op::SetImageTags(images, tag)),
    ]
}

/// Runs `cases` random sequences of up to `max_ops` operations on `backend`
/// and on a fresh [`MemoryStore`] each, comparing them after every step;
/// panics with the minimal diverging sequence.
///
/// `backend` must be made with [`options`]. It is emptied through the
/// [`Store`] API before each case (every update and tag deleted), so one
/// store (one database) serves every case.
pub fn check_against_model(backend: &dyn Store, cases: u32, max_ops: usize) {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let sequences = proptest::collection::vec(op(), 1..=max_ops);
    match runner.run(&sequences, |ops| run_case(backend, &ops).map_err(TestCaseError::fail)) {
        Ok(()) => {}
        Err(TestError::Fail(why, ops)) => {
            panic!("the store diverges from the model; minimal sequence ({} operations):\n{ops:#?}\n{why}", ops.len())
        }
        Err(TestError::Abort(why)) => panic!("the model test gave up: {why}"),
    }
}

/// A fixed instant plus `minutes`: whole minutes, which every backend keeps exactly.
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn pair(i: usize) -> (&'static str, &'static str) {
    (HOSTS[i / IMAGES.len() % HOSTS.len()], IMAGES[i % IMAGES.len()])
}

fn notification(pair_index: usize, digest: usize) -> Notification {
    let (host, image) = pair(pair_index);
    let digest = DIGESTS[digest % DIGESTS.len()];
    let status = if digest == DIGESTS[0] { "new" } else { "update" };
    let body = format!(
        r#"{{"hostname":"{host}","image":"{image}","digest":"{digest}","status":"{status}",
            "diun_version":"4.{}","metadata":{{"ctn_names":"/{host}-web"}}}}"#,
        digest.len() + pair_index
    );
    Notification::from_json(body.as_bytes()).expect("the model's bodies are valid")
}

/// Empties a store through its API.
fn clear(store: &dyn Store) -> StoreResult<()> {
    for update in page::all_updates(store, &UpdateFilter::default())? {
        store.delete_update(update.id)?;
    }
    for tag in store.list_tags()? {
        store.delete_tag(tag.id)?;
    }
    Ok(())
}

/// How one store resolves the names an operation uses, read before the step.
struct Ids {
    updates: HashMap<(String, String), i64>,
    tags: Vec<i64>,
}

impl Ids {
    fn read(store: &dyn Store) -> StoreResult<Ids> {
        let updates = page::all_updates(store, &UpdateFilter::default())?
            .into_iter()
            .map(|u| ((u.hostname, u.image), u.id))
            .collect();
        let tags = store.list_tags()?.into_iter().map(|t| t.id).collect();
        Ok(Ids { updates, tags })
    }

    fn update(&self, i: usize) -> i64 {
        let (host, image) = pair(i);
        self.updates.get(&(host.to_owned(), image.to_owned())).copied().unwrap_or(MISSING)
    }

    fn updates(&self, pairs: &[usize]) -> Vec<i64> {
        pairs.iter().map(|i| self.update(*i)).collect()
    }

    fn tag(&self, i: usize) -> i64 {
        self.tags.get(i).copied().unwrap_or(MISSING)
    }

    fn filter(&self, spec: &FilterSpec) -> UpdateFilter {
        let mut filter = UpdateFilter::default();
        match spec {
            FilterSpec::Host(i) => filter.host = Some(HOSTS[*i % HOSTS.len()].to_owned()),
            FilterSpec::Query(i) => filter.query = Some(QUERIES[*i % QUERIES.len()].to_owned()),
            FilterSpec::Untagged => filter.tag = Some(TagFilter::Untagged),
            FilterSpec::Tag(i) => filter.tag = Some(TagFilter::Id(self.tag(*i))),
        }
        filter
    }
}

/// An update without the ids a backend chose.
fn anonymous(update: Update) -> Update {
    Update { id: 0, tag: update.tag.map(|tag| TagRef { id: 0, ..tag }), ..update }
}

fn anonymous_event(event: UpdateEvent) -> UpdateEvent {
    UpdateEvent { id: 0, update_id: 0, ..event }
}

fn anonymous_summary(summary: Summary) -> Summary {
    Summary {
        oldest_pending: summary.oldest_pending.map(anonymous),
        tags: summary
            .tags
            .into_iter()
            .map(|count| diun_core::TagCount { tag: count.tag.map(|tag| TagRef { id: 0, ..tag }), ..count })
            .collect(),
        ..summary
    }
}

/// What an operation answered, without ids: the value, or the kind of error.
type Answer = Result<String, String>;

fn answer<T: Debug>(result: StoreResult<T>, strip: impl FnOnce(T) -> String) -> Answer {
    result.map(strip).map_err(|err| match err {
        StoreError::NotFound(_) => "NotFound".to_owned(),
        StoreError::Conflict(_) => "Conflict".to_owned(),
        StoreError::Invalid(_) => "Invalid".to_owned(),
        other => format!("unexpected error: {other}"),
    })
}

fn shown<T: Debug>(value: T) -> String {
    format!("{value:?}")
}

/// Applies one operation to one store at minute `now`.
fn apply(store: &dyn Store, op: &Op, now: i64) -> StoreResult<Answer> {
    let ids = Ids::read(store)?;
    let tag_name = |i: usize| TagName::parse(TAG_NAMES[i % TAG_NAMES.len()]).expect("valid names");
    Ok(match op {
        Op::Record { pair, digest, .. } => {
            answer(store.record_notification(&notification(*pair, *digest), at(now)), |u| shown(anonymous(u)))
        }
        Op::Batch(batch) => {
            let batch: Vec<_> = batch.iter().map(|(pair, digest)| (notification(*pair, *digest), at(now))).collect();
            answer(store.record_notifications(&batch), |us| shown(us.into_iter().map(anonymous).collect::<Vec<_>>()))
        }
        Op::SetAcknowledged(pair, acknowledged) => {
            answer(store.set_acknowledged(ids.update(*pair), *acknowledged, at(now)), |u| shown(anonymous(u)))
        }
        Op::AcknowledgeIds(pairs) => answer(store.acknowledge(&AckSelector::Ids(ids.updates(pairs)), at(now)), shown),
        Op::AcknowledgeTag(tag) => answer(store.acknowledge(&AckSelector::Tag(ids.tag(*tag)), at(now)), shown),
        Op::AcknowledgeAll => answer(store.acknowledge(&AckSelector::All, at(now)), shown),
        Op::AcknowledgeFilter(spec) => {
            answer(store.acknowledge(&AckSelector::Filter(ids.filter(spec)), at(now)), shown)
        }
        Op::UnacknowledgeIds(pairs) => answer(store.unacknowledge(&UnackSelector::Ids(ids.updates(pairs))), shown),
        Op::UnacknowledgeAt(ago) => answer(store.unacknowledge(&UnackSelector::AcknowledgedAt(at(now - ago))), shown),
        Op::Delete(pair) => answer(store.delete_update(ids.update(*pair)), shown),
        Op::Retention(ago) => answer(store.delete_acknowledged_before(at(now - ago)), shown),
        Op::CreateTag(name) => answer(store.create_tag(&tag_name(*name), at(now)), |t| shown((t.name, t.image_count))),
        Op::RenameTag(tag, name) => {
            answer(store.rename_tag(ids.tag(*tag), &tag_name(*name)), |t| shown((t.name, t.image_count)))
        }
        Op::DeleteTag(tag) => answer(store.delete_tag(ids.tag(*tag)), shown),
        Op::Assign(image, tag) => {
            answer(store.assign_tag(IMAGES[*image % IMAGES.len()], ids.tag(*tag)), |t| shown(t.name))
        }
        Op::Unassign(image) => answer(store.unassign_tag(IMAGES[*image % IMAGES.len()]), shown),
        Op::SetImageTags(images, tag) => {
            let images: Vec<String> = images.iter().map(|i| IMAGES[*i % IMAGES.len()].to_owned()).collect();
            answer(store.set_image_tags(&images, tag.map(|tag| ids.tag(tag))), shown)
        }
    })
}

/// All that can be observed of a store, without ids, section by section.
fn observe(store: &dyn Store) -> StoreResult<Vec<(&'static str, String)>> {
    let ids = Ids::read(store)?;
    let updates = page::all_updates(store, &UpdateFilter::default())?;
    let mut events = Vec::new();
    for update in &updates {
        events.push(store.list_events(update.id)?.into_iter().map(anonymous_event).collect::<Vec<_>>());
    }
    let tags: Vec<_> = store.list_tags()?.into_iter().map(|t| (t.name, t.created_at, t.image_count)).collect();
    let mut sections = vec![
        ("updates (all_updates, in order)", shown(updates.into_iter().map(anonymous).collect::<Vec<_>>())),
        ("history of each update", shown(events)),
        ("tags", shown(tags)),
        ("stats", shown(store.stats()?)),
        ("summary", shown(anonymous_summary(store.summary(&UpdateFilter::default())?))),
    ];
    for spec in
        [FilterSpec::Host(0), FilterSpec::Query(0), FilterSpec::Query(3), FilterSpec::Untagged, FilterSpec::Tag(0)]
    {
        let filter = ids.filter(&spec);
        sections.push(("summary by filter", shown((&spec, anonymous_summary(store.summary(&filter)?)))));
        let pending = UpdateFilter { state: Some(diun_core::UpdateState::Pending), ..filter };
        let listed: Vec<_> = page::all_updates(store, &pending)?.into_iter().map(|u| (u.hostname, u.image)).collect();
        sections.push(("pending updates by filter", shown((&spec, listed))));
    }
    Ok(sections)
}

/// One sequence on an emptied backend and a fresh model.
fn run_case(backend: &dyn Store, ops: &[Op]) -> Result<(), String> {
    let failed = |what: &str, err: StoreError| format!("{what}: {err}");
    clear(backend).map_err(|err| failed("emptying the backend", err))?;
    let model = MemoryStore::new(&options());
    let mut now = 0;
    for (step, op) in ops.iter().enumerate() {
        if let Op::Record { advance, .. } = op {
            now += advance;
        }
        let revisions = |store: &dyn Store| store.revision().map_err(|err| failed("reading the revision", err));
        let before = (revisions(backend)?, revisions(&model)?);
        let got = apply(backend, op, now).map_err(|err| failed("reading the backend", err))?;
        let expected = apply(&model, op, now).map_err(|err| failed("reading the model", err))?;
        let at_step = format!("step {step} ({op:?}) at minute {now}");
        if got != expected {
            return Err(format!("{at_step}: the backend answered\n  {got:?}\nthe model\n  {expected:?}"));
        }
        let advanced = (revisions(backend)? > before.0, revisions(&model)? > before.1);
        if advanced.0 != advanced.1 {
            return Err(format!(
                "{at_step}: the backend's revision {} advance, the model's {}",
                if advanced.0 { "did" } else { "did not" },
                if advanced.1 { "did" } else { "did not" },
            ));
        }
        let got = observe(backend).map_err(|err| failed("observing the backend", err))?;
        let expected = observe(&model).map_err(|err| failed("observing the model", err))?;
        if let Some(((what, got), (_, expected))) = got.iter().zip(&expected).find(|(a, b)| a != b) {
            return Err(format!("after {at_step}, {what} differ:\nbackend {got}\nmodel   {expected}"));
        }
    }
    Ok(())
}
