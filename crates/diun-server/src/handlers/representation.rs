//! How listings are answered: tagged with the store's revision (`ETag`), a
//! `304 Not Modified` when the client already has that revision, and
//! compressed when large and the client accepts it.
//!
//! The revision is read before the data, so the data is at least as new as
//! its tag: a client may refetch something it already had, never keep
//! something stale.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use diun_core::{Store, StoreResult};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store_call::{call_store, call_store_now};

/// Bodies smaller than this go uncompressed: compressing small answers was
/// measured to cost more time than the bytes it saves.
const COMPRESS_FROM_BYTES: usize = 2048;

/// A content coding the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    /// The best coding in `Accept-Encoding`: brotli, then gzip; `q=0` refuses one.
    fn preferred(req: &HttpRequest) -> Coding {
        let accepted = |name: &str| {
            req.headers()
                .get_all(header::ACCEPT_ENCODING)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|item| {
                    let mut parts = item.split(';').map(str::trim);
                    let coding = parts.next().unwrap_or("");
                    let refused =
                        parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
                    coding.eq_ignore_ascii_case(name) && !refused
                })
        };
        if accepted("br") {
            Coding::Brotli
        } else if accepted("gzip") {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }

    fn name(self) -> Option<&'static str> {
        match self {
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }

    /// `body` in this coding; `None` when it stays as it is.
    fn encode(self, body: &[u8]) -> Option<Vec<u8>> {
        if body.len() < COMPRESS_FROM_BYTES {
            return None;
        }
        match self {
            Coding::Brotli => {
                let mut out = Vec::with_capacity(body.len() / 4);
                // Quality 4: most of brotli's gain at gzip's speed.
                let mut writer = brotli::CompressorWriter::new(&mut out, 16 * 1024, 4, 20);
                writer.write_all(body).ok()?;
                drop(writer);
                Some(out)
            }
            Coding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(4));
                encoder.write_all(body).ok()?;
                encoder.finish().ok()
            }
            Coding::Identity => None,
        }
    }
}

/// The most answers kept for one revision.
const MAX_ANSWERS: usize = 64;

/// The most bytes of answers kept for one revision: a bound on what the
/// cache adds to the process's memory, whatever clients ask for.
const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;

/// What a request asked for, as far as its answer depends on it: the path
/// with its query string, and the coding of the body.
type AnswerKey = (String, Coding);

/// One answer as sent: its body, and the coding the body is in.
#[derive(Debug, Clone)]
struct Answer {
    body: Bytes,
    coding: Coding,
}

/// The answers computed at one revision of the store, each with when it
/// was last used (a count of uses), so that the least used goes first.
#[derive(Debug, Default)]
struct Answers {
    revision: i64,
    by_request: HashMap<AnswerKey, (Answer, u64)>,
    bytes: usize,
    uses: u64,
}

impl Answers {
    fn size(key: &AnswerKey, answer: &Answer) -> usize {
        answer.body.len() + key.0.len()
    }

    /// Forgets the answer used longest ago.
    fn evict_one(&mut self) {
        let oldest = self.by_request.iter().min_by_key(|(_, (_, used))| *used).map(|(key, _)| key.clone());
        if let Some((key, (answer, _))) = oldest.and_then(|key| self.by_request.remove_entry(&key)) {
            self.bytes -= Answers::size(&key, &answer);
        }
    }
}

/// Answers to listings, kept while the store's revision stays the same.
///
/// Every write advances the revision, and a revision names the data exactly
/// (it is also the `ETag`), so an answer read at a revision is the answer
/// until it moves. Dashboards ask for the same first page and summary as
/// soon as they hear of a change: with this, a change costs one read of
/// each, however many viewers there are, and none while nothing changes.
///
/// Only the current revision's answers are kept, at most [`MAX_ANSWERS`]
/// of them and [`MAX_ANSWER_BYTES`] in all: past that, the answer used
/// longest ago makes room, so that one-off searches do not push out the
/// first page and the summary that every viewer asks for.
#[derive(Debug, Default)]
pub struct AnswerCache {
    current: Mutex<Answers>,
}

impl AnswerCache {
    fn get(&self, revision: i64, key: &AnswerKey) -> Option<Answer> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.revision != revision {
            return None;
        }
        current.uses += 1;
        let now = current.uses;
        current.by_request.get_mut(key).map(|(answer, used)| {
            *used = now;
            answer.clone()
        })
    }

    /// Keeps `answer`, read at `revision`, unless a newer revision's answers
    /// are kept already (a slow read finishing late) or it is larger than
    /// the whole cache.
    fn put(&self, revision: i64, key: AnswerKey, answer: Answer) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if revision < current.revision {
            return;
        }
        if revision > current.revision {
            *current = Answers { revision, ..Answers::default() };
        }
        let size = Answers::size(&key, &answer);
        if size > MAX_ANSWER_BYTES {
            return;
        }
        if let Some((replaced, _)) = current.by_request.remove(&key) {
            current.bytes -= Answers::size(&key, &replaced);
        }
        while current.by_request.len() >= MAX_ANSWERS || current.bytes + size > MAX_ANSWER_BYTES {
            current.evict_one();
        }
        current.uses += 1;
        let now = current.uses;
        current.bytes += size;
        current.by_request.insert(key, (answer, now));
    }
}

/// The `ETag` of a revision.
pub(crate) fn etag(revision: i64) -> String {
    format!("\"r{revision}\"")
}

/// Whether `If-None-Match` names `tag` (weak comparison, as for GET).
pub(crate) fn client_has(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|item| item.trim().trim_start_matches("W/"))
        .any(|item| item == tag || item == "*")
}

/// Answers `GET` of a listing: 304 when the client's copy is current, else
/// the JSON that `read` makes from the store, tagged and maybe compressed,
/// from the [`AnswerCache`] when the same request was answered at the
/// current revision.
///
/// `read` runs on a reader thread with serialisation and compression, so a
/// large answer never stalls the event loop.
pub async fn cached_json<T, F>(
    req: &HttpRequest,
    state: &AppState,
    operation: &'static str,
    read: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    if let Some(not_modified) = not_modified_since(req, &state.store).await? {
        return Ok(not_modified);
    }
    let coding = Coding::preferred(req);
    let key = (req.uri().path_and_query().map_or_else(|| req.path().to_owned(), ToString::to_string), coding);
    let cache = Arc::clone(&state.answers);
    let (revision, answer) = call_store(&state.store, operation, move |store| {
        let revision = store.revision()?;
        if let Some(answer) = cache.get(revision, &key) {
            return Ok((revision, answer));
        }
        let body = serde_json::to_vec(&read(store)?).map_err(|err| diun_core::StoreError::Backend(Box::new(err)))?;
        let answer = match coding.encode(&body) {
            Some(encoded) => Answer { body: Bytes::from(encoded), coding },
            None => Answer { body: Bytes::from(body), coding: Coding::Identity },
        };
        cache.put(revision, key, answer.clone());
        Ok((revision, answer))
    })
    .await?;
    let tag = etag(revision);
    if client_has(req, &tag) {
        return Ok(not_modified(&tag));
    }
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/json")
        .insert_header((header::ETAG, tag))
        // Always revalidate: the data changes with every webhook.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(name) = answer.coding.name() {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(name)));
    }
    Ok(response.body(answer.body))
}

/// Answers 304 before reading any row when the client's copy is current;
/// `None` when it must be read.
async fn not_modified_since(req: &HttpRequest, store: &Arc<dyn Store>) -> Result<Option<HttpResponse>, ApiError> {
    if req.headers().get(header::IF_NONE_MATCH).is_none() {
        return Ok(None);
    }
    let tag = etag(call_store_now(store, "revision", |store| store.revision()).await?);
    Ok(client_has(req, &tag).then(|| not_modified(&tag)))
}

/// 304 with the current `ETag`.
pub(crate) fn not_modified(tag: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, tag.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .finish()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn the_client_s_coding_is_read_with_its_refusals() {
        let coding = |value: &str| {
            Coding::preferred(&TestRequest::default().insert_header(("accept-encoding", value)).to_http_request())
        };
        assert_eq!(coding("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(coding("gzip"), Coding::Gzip);
        assert_eq!(coding("br;q=0, gzip;q=0.5"), Coding::Gzip);
        assert_eq!(coding("gzip;q=0.0"), Coding::Identity);
        assert_eq!(coding("identity"), Coding::Identity);
        assert_eq!(Coding::Identity.encode(&[b'x'; 10_000]), None);
        assert_eq!(Coding::Gzip.encode(b"short"), None);
    }

    fn answer(body: &str) -> Answer {
        Answer { body: Bytes::copy_from_slice(body.as_bytes()), coding: Coding::Identity }
    }

    fn key(target: &str) -> AnswerKey {
        (target.to_owned(), Coding::Identity)
    }

    fn body(answer: Option<Answer>) -> Option<Bytes> {
        answer.map(|answer| answer.body)
    }

    #[test]
    fn answers_are_kept_for_their_request_and_revision_only() {
        let cache = AnswerCache::default();
        cache.put(7, key("/api/updates"), answer("seven"));
        assert_eq!(body(cache.get(7, &key("/api/updates"))).as_deref(), Some(&b"seven"[..]));
        assert!(cache.get(7, &key("/api/updates?limit=5")).is_none(), "another query");
        assert!(cache.get(7, &("/api/updates".to_owned(), Coding::Gzip)).is_none(), "another coding");
        assert!(cache.get(8, &key("/api/updates")).is_none(), "another revision");

        // A newer revision replaces every answer of the older one.
        cache.put(8, key("/api/tags"), answer("eight"));
        assert!(cache.get(7, &key("/api/updates")).is_none());
        assert_eq!(body(cache.get(8, &key("/api/tags"))).as_deref(), Some(&b"eight"[..]));

        // A read of an older revision finishing late is not kept.
        cache.put(7, key("/api/updates"), answer("late"));
        assert!(cache.get(7, &key("/api/updates")).is_none());
        assert!(cache.get(8, &key("/api/updates")).is_none());
    }

    #[test]
    fn the_cache_keeps_at_most_its_bounds_and_forgets_the_least_used_first() {
        let cache = AnswerCache::default();
        cache.put(1, key("/api/updates"), answer("first page"));
        for n in 0..MAX_ANSWERS + 10 {
            cache.put(1, key(&format!("/api/updates?q=search-{n}")), answer("x"));
            // Every viewer keeps asking for the first page.
            assert!(cache.get(1, &key("/api/updates")).is_some(), "after {n} one-off searches");
        }
        let kept = (0..MAX_ANSWERS + 10)
            .filter(|n| cache.get(1, &key(&format!("/api/updates?q=search-{n}"))).is_some())
            .count();
        assert_eq!(kept, MAX_ANSWERS - 1, "the first page and the latest searches");
        assert!(cache.get(1, &key("/api/updates?q=search-0")).is_none(), "the oldest search went first");

        let cache = AnswerCache::default();
        let big = "y".repeat(MAX_ANSWER_BYTES / 3);
        for n in 0..4 {
            cache.put(1, key(&format!("/big/{n}")), answer(&big));
        }
        let kept: Vec<bool> = (0..4).map(|n| cache.get(1, &key(&format!("/big/{n}"))).is_some()).collect();
        assert_eq!(kept, [false, false, true, true], "three thirds and their keys do not fit");
        cache.put(1, key("/huge"), answer(&"z".repeat(MAX_ANSWER_BYTES)));
        assert!(cache.get(1, &key("/huge")).is_none(), "larger than the whole cache");
        assert!(cache.get(1, &key("/big/3")).is_some(), "and it pushed nothing out");
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let has = |value: &str| {
            client_has(&TestRequest::default().insert_header(("if-none-match", value)).to_http_request(), "\"r7\"")
        };
        assert!(has("\"r7\""));
        assert!(has("W/\"r7\""));
        assert!(has("\"r6\", \"r7\""));
        assert!(!has("\"r6\""));
        assert!(!has("\"r70\""));
    }
}
