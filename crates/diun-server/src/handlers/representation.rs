//! How listings are answered: tagged with the store's revision (`ETag`), a
//! `304 Not Modified` when the client already has that revision, and
//! compressed when large and the client accepts it.
//!
//! The revision is read before the data, so the data is at least as new as
//! its tag: a client may refetch something it already had, never keep
//! something stale.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use diun_core::{Store, StoreResult};
use serde::Serialize;

use crate::error::ApiError;
use crate::store_call::{call_store, call_store_now};

/// Bodies smaller than this go uncompressed: compressing small answers was
/// measured to cost more time than the bytes it saves.
const COMPRESS_FROM_BYTES: usize = 2048;

/// A content coding the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The last answer computed for one costly read, kept with the revision it
/// was read at: while the store's revision stays the same, every client gets
/// it without another read (dashboards revalidate after every change they
/// hear of, so many viewers ask for the same summary at once).
#[derive(Debug, Default)]
pub struct RevisionCache {
    last: Mutex<Option<(i64, Arc<Vec<u8>>)>>,
}

impl RevisionCache {
    fn get(&self, revision: i64) -> Option<Arc<Vec<u8>>> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        last.as_ref().filter(|(at, _)| *at == revision).map(|(_, body)| Arc::clone(body))
    }

    fn put(&self, revision: i64, body: Arc<Vec<u8>>) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some((revision, body));
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
/// the JSON that `read` makes from the store, tagged and maybe compressed.
///
/// `read` runs on the blocking pool with serialisation and compression, so a
/// large answer never stalls the event loop.
pub async fn cached_json<T, F>(
    req: &HttpRequest,
    store: &Arc<dyn Store>,
    operation: &'static str,
    read: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    shared_json(req, store, operation, None, read).await
}

/// [`cached_json`], answering from `cache` while the revision has not moved.
pub async fn shared_json<T, F>(
    req: &HttpRequest,
    store: &Arc<dyn Store>,
    operation: &'static str,
    cache: Option<Arc<RevisionCache>>,
    read: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    if let Some(not_modified) = not_modified_since(req, store).await? {
        return Ok(not_modified);
    }
    let coding = Coding::preferred(req);
    let (revision, body, encoded) = call_store(store, operation, move |store| {
        let revision = store.revision()?;
        let body = match cache.as_ref().and_then(|cache| cache.get(revision)) {
            Some(body) => body,
            None => {
                let body =
                    serde_json::to_vec(&read(store)?).map_err(|err| diun_core::StoreError::Backend(Box::new(err)))?;
                let body = Arc::new(body);
                if let Some(cache) = &cache {
                    cache.put(revision, Arc::clone(&body));
                }
                body
            }
        };
        let encoded = coding.encode(&body);
        Ok((revision, body, encoded))
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
    Ok(match (encoded, coding.name()) {
        (Some(encoded), Some(name)) => {
            response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(name))).body(encoded)
        }
        _ => response.body(body.as_ref().clone()),
    })
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
