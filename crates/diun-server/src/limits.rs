//! Time limits on every request: on reading its body, and on answering.
//!
//! actix-web's `client_request_timeout` covers the request head only: a body
//! sent one byte a second would hold its connection (and a worker's attention)
//! for as long as the client likes. And a store call on a database connection
//! that stopped answering (a frozen PostgreSQL, a stuck failover) would hold
//! the request just as long. [`bound_body_time`] and [`bound_answer_time`] end both:
//!
//! - the body must have arrived within [`AppState::body_timeout`] of the
//!   request's start, or the answer is 408 `request_timeout`, whatever the
//!   handler made of the cut body;
//! - the answer must be ready within [`AppState::store_deadline`] (plus the
//!   time the body took), or it is 503 `unavailable`. The store call left
//!   behind ends on its own: PostgreSQL's `statement_timeout` and
//!   `idle_in_transaction_session_timeout`, and TCP's `tcp_user_timeout`,
//!   are derived from the same pool timeout.
//!
//! A streamed response (`GET /api/events`) is ready as soon as its head is:
//! the limit does not cut the stream.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep, timeout, Sleep};
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, ResponseError};
use futures_util::Stream;

use crate::error::ApiError;
use crate::state::AppState;

/// Middleware of the whole app: cuts the body at [`AppState::body_timeout`]
/// after the request's start, and then answers 408 whatever the reader of
/// the cut body made of it; see the [module docs](self).
pub async fn bound_body_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let body_timeout = match req.app_data::<web::Data<AppState>>() {
        Some(state) if has_body(&req) => state.body_timeout,
        _ => return next.call(req).await.map(ServiceResponse::map_into_left_body),
    };
    let cut = Arc::new(AtomicBool::new(false));
    let inner = req.take_payload();
    let timed = TimedPayload { inner, deadline: Box::pin(sleep(body_timeout)), cut: Arc::clone(&cut) };
    req.set_payload(Payload::from(Box::pin(timed) as BoxedPayloadStream));
    let answer = next.call(req).await?;
    if !cut.load(Ordering::SeqCst) {
        return Ok(answer.map_into_left_body());
    }
    let secs = body_timeout.as_secs_f64();
    let late = ApiError::RequestTimeout(format!("the request body did not arrive within {secs} s"));
    Ok(answer.into_response(late.error_response()).map_into_right_body())
}

/// Middleware of each route: answers 503 when the handler is not done within
/// [`AppState::store_deadline`] (plus [`AppState::body_timeout`] when a body
/// comes, which the handler may still be reading); see the [module docs](self).
///
/// Per route rather than for the whole app: it keeps a handle on the request
/// to answer with, and actix-web's routing needs the only one.
pub async fn bound_answer_time(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let limit = state.store_deadline + if has_body(&req) { state.body_timeout } else { Duration::ZERO };
    let request = req.request().clone();
    match timeout(limit, next.call(req)).await {
        Ok(answer) => answer.map(ServiceResponse::map_into_left_body),
        Err(_) => {
            let path = request.path().escape_debug().to_string();
            log::warn!("{} {path} gave no answer within {limit:?}; answered 503", request.method());
            let late = ApiError::Unavailable(format!("no answer within {limit:?}"));
            Ok(ServiceResponse::new(request, late.error_response()).map_into_right_body())
        }
    }
}

/// Whether the request announces a body.
fn has_body(req: &ServiceRequest) -> bool {
    req.headers().contains_key(TRANSFER_ENCODING)
        || req.headers().get(CONTENT_LENGTH).is_some_and(|length| length.as_bytes() != b"0")
}

/// A body stream handed on to the request.
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// The request's body, cut with an error once its deadline has passed.
struct TimedPayload {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    cut: Arc<AtomicBool>,
}

impl Stream for TimedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.cut.store(true, Ordering::SeqCst);
            let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "the body did not arrive in time");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Poll::Pending
    }
}

/// How long a request may wait on the database before it is answered 503:
/// twice the pool timeout (one wait for a connection, then the work), at least 2 s.
pub fn store_deadline(pool_timeout: Duration) -> Duration {
    (pool_timeout * 2).max(Duration::from_secs(2))
}
