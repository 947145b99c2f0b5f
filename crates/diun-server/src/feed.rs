//! `GET /feed.atom`: the pending updates as an Atom feed (RFC 4287), for feed
//! readers.
//!
//! Protected like the API; a feed reader that cannot send an `Authorization`
//! header passes a feed token instead: `/feed.atom?token=…`
//! (`DIUN_DASHBOARD_FEED_TOKENS`, see [`crate::auth`]), which opens this
//! route and nothing else.

use std::fmt::Write;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use diun_core::{PageRequest, Update, UpdateFilter};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::handlers::representation::{client_has, etag, not_modified};
use crate::links::DashboardLinks;
use crate::state::AppState;
use crate::store_call::call_store;

/// The most entries the feed holds: the newest pending updates. A reader
/// keeps what it saw, so older ones are not lost to it; a larger feed only
/// costs every poll more.
pub const FEED_ENTRIES: u32 = 100;

/// The query string of `GET /feed.atom`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// A feed token (`DIUN_DASHBOARD_FEED_TOKENS`), for readers that cannot
    /// send an `Authorization` header; checked before the request gets here.
    #[allow(dead_code)]
    token: Option<String>,
}

/// `GET /feed.atom`.
#[utoipa::path(
    get,
    path = "/feed.atom",
    operation_id = "pending_updates_feed",
    summary = "An Atom feed of the pending updates, newest first",
    description = "At most 100 entries, the most recently seen pending updates; each links to the update in the \
        dashboard (its history opened). Entry ids change with the digest, so a reader shows a new digest of \
        an image as a new entry. Needs sign-in like the API when access control is on: HTTP Basic, an API token \
        as Bearer, or a feed token in `token`, which opens this feed and no other route. Carries an `ETag` \
        like the listings.",
    tag = "updates",
    params(FeedQuery),
    responses(
        (status = 200, description = "An Atom 1.0 document", content_type = "application/atom+xml; charset=utf-8", body = String),
        (status = 304, description = "Nothing changed since the `ETag` given in `If-None-Match`"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn atom(
    req: HttpRequest,
    state: web::Data<AppState>,
    _query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let (revision, updates) = call_store(&state.store, "feed", |store| {
        let revision = store.revision()?;
        let pending = UpdateFilter::pending();
        let page = store.list_updates(&pending, &PageRequest::first(FEED_ENTRIES).expect("a valid page size"))?;
        Ok((revision, page.updates))
    })
    .await?;
    let tag = etag(revision);
    if client_has(&req, &tag) {
        return Ok(not_modified(&tag));
    }
    let links = match state.links.pending() {
        Some(_) => state.links.clone(),
        None => links_from_request(&req, &state.base_path),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(render(&updates, &links, Utc::now())))
}

/// Without `DIUN_DASHBOARD_PUBLIC_URL`, links use the address the reader
/// asked (its `Host`, or the `Forwarded` / `X-Forwarded-*` headers of a proxy).
fn links_from_request(req: &HttpRequest, base_path: &str) -> DashboardLinks {
    let info = req.connection_info();
    DashboardLinks::new(Some(format!("{}://{}{base_path}", info.scheme(), info.host())))
}

/// The Atom document of `updates` (newest first, as given).
pub fn render(updates: &[Update], links: &DashboardLinks, now: DateTime<Utc>) -> String {
    let home = links.pending().unwrap_or_default();
    // The feed changed when its newest entry did; an empty feed, now.
    let updated = updates.iter().map(|u| u.last_seen_at).max().unwrap_or(now);
    let mut xml = String::with_capacity(512 + updates.len() * 700);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(xml, "  <id>{}</id>", escape(&format!("{home}feed.atom")));
    xml.push_str("  <title>Diun Dashboard: pending updates</title>\n");
    let _ = writeln!(xml, "  <updated>{}</updated>", time(updated));
    xml.push_str("  <author><name>Diun Dashboard</name></author>\n");
    xml.push_str("  <generator>Diun Dashboard</generator>\n");
    let _ = writeln!(xml, "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", escape(&home));
    let _ = writeln!(xml, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}feed.atom\"/>", escape(&home));
    for update in updates {
        let link = links.update(update.id).unwrap_or_default();
        xml.push_str("  <entry>\n");
        // Stable per update and digest: a new digest is a new entry for the reader.
        let _ = writeln!(xml, "    <id>urn:diun-dashboard:update:{}:{}</id>", update.id, escape(&update.digest));
        let _ = writeln!(
            xml,
            "    <title>{} on {} ({})</title>",
            escape(&update.image),
            escape(&update.hostname),
            update.status
        );
        let _ = writeln!(xml, "    <updated>{}</updated>", time(update.last_seen_at));
        let _ = writeln!(xml, "    <published>{}</published>", time(update.first_seen_at));
        let _ = writeln!(xml, "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", escape(&link));
        let _ = writeln!(xml, "    <category term=\"{}\"/>", escape(&update.hostname));
        if let Some(tag) = &update.tag {
            let _ = writeln!(xml, "    <category term=\"{}\" label=\"tag\"/>", escape(tag.name.as_str()));
        }
        let _ = writeln!(xml, "    <summary type=\"text\">{}</summary>", escape(&summary(update)));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// One line about the update, as a reader shows it under the title.
fn summary(update: &Update) -> String {
    let mut text = format!(
        "{} image {} on {}: digest {}",
        if update.status == diun_core::UpdateStatus::New { "New" } else { "Updated" },
        update.image,
        update.hostname,
        update.digest
    );
    if !update.platform.is_empty() {
        let _ = write!(text, ", {}", update.platform);
    }
    if !update.provider.is_empty() {
        let _ = write!(text, ", found by the {} provider", update.provider);
    }
    if !update.hub_link.is_empty() {
        let _ = write!(text, ". Registry: {}", update.hub_link);
    }
    text.push('.');
    text
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Escapes text for XML content and attribute values. Characters XML 1.0
/// cannot carry at all (most control characters) are dropped: Diun's fields
/// come from labels anyone with a container can set.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(escape("a<b>&\"c'\u{1}d\n"), "a&lt;b&gt;&amp;&quot;c&apos;d\n");
    }
}
