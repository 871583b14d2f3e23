//! Reading a request body under the server's limits: at most `max_body` bytes, within
//! `body_timeout` in all, at the body-rate floor after its grace period, and only while
//! the bytes of all bodies being buffered fit in the shared budget (issue 20: memory
//! flat however many connections send partial bodies). hyper has no rate floor or
//! cross-connection budget of its own; its frames are read here under both.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use bytes::BytesMut;
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Why a body was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyRefusal {
    /// Longer than `max_body` (declared or sent): 413.
    TooLarge,
    /// Below the rate floor: 408.
    TooSlow,
    /// Not complete within `body_timeout`: 408.
    Timeout,
    /// The shared buffer budget is spent: 503.
    BufferFull,
    /// The connection failed or the framing was broken: 400.
    Broken,
}

impl BodyRefusal {
    /// The `wsrx_refused_total` reason.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::TooLarge => "http_body_too_large",
            Self::TooSlow => "http_body_too_slow",
            Self::Timeout => "http_body_timeout",
            Self::BufferFull => "http_body_buffer_full",
            Self::Broken => "http_body_broken",
        }
    }
}

/// How a body must arrive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyRules {
    pub(crate) max_body: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) min_rate: u64,
    pub(crate) grace: Duration,
}

impl BodyRules {
    /// When the body must have delivered its next frame, `received` bytes having arrived
    /// since `start`: the total deadline, or sooner the moment the average rate would
    /// fall below the floor.
    pub(crate) fn next_deadline(&self, start: Instant, received: usize) -> Instant {
        let total = start + self.body_timeout;
        if self.min_rate == 0 {
            return total;
        }
        let earned = Duration::from_secs_f64(received as f64 / self.min_rate as f64);
        total.min(start + self.grace + earned)
    }
}

/// A body read whole; its bytes stay counted in the shared budget until it is dropped.
#[derive(Debug)]
pub(crate) struct Buffered {
    pub(crate) bytes: Bytes,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Reads `body` (`declared`: its Content-Length) under `rules`, taking its bytes from
/// `budget` (one permit per byte) as they arrive.
pub(crate) async fn collect(
    mut body: Body,
    declared: Option<u64>,
    rules: BodyRules,
    budget: &Arc<Semaphore>,
) -> Result<Buffered, BodyRefusal> {
    if declared.is_some_and(|d| d > rules.max_body as u64) {
        return Err(BodyRefusal::TooLarge);
    }
    let start = Instant::now();
    let mut buf = BytesMut::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    loop {
        let deadline = rules.next_deadline(start, buf.len());
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) if deadline >= start + rules.body_timeout => return Err(BodyRefusal::Timeout),
            Err(_) => return Err(BodyRefusal::TooSlow),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyRefusal::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if buf.len() + data.len() > rules.max_body {
            return Err(BodyRefusal::TooLarge);
        }
        let n = u32::try_from(data.len()).map_err(|_| BodyRefusal::TooLarge)?;
        if n == 0 {
            continue;
        }
        let permit = Arc::clone(budget)
            .try_acquire_many_owned(n)
            .map_err(|_| BodyRefusal::BufferFull)?;
        match held.as_mut() {
            Some(h) => h.merge(permit),
            None => held = Some(permit),
        }
        buf.extend_from_slice(&data);
    }
    Ok(Buffered {
        bytes: buf.freeze(),
        _budget: held,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> BodyRules {
        BodyRules {
            max_body: 100,
            body_timeout: Duration::from_secs(30),
            min_rate: 1000,
            grace: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_rate_floor_moves_the_deadline_by_what_arrived() {
        let start = Instant::now();
        let r = rules();
        assert_eq!(r.next_deadline(start, 0), start + Duration::from_secs(5));
        assert_eq!(r.next_deadline(start, 2000), start + Duration::from_secs(7));
        // Never beyond the total deadline.
        assert_eq!(
            r.next_deadline(start, 1_000_000),
            start + Duration::from_secs(30)
        );
        let no_floor = BodyRules { min_rate: 0, ..r };
        assert_eq!(
            no_floor.next_deadline(start, 0),
            start + Duration::from_secs(30)
        );
    }

    #[tokio::test]
    async fn a_body_is_held_in_the_budget_until_dropped_and_refused_beyond_it() {
        let budget = Arc::new(Semaphore::new(150));
        let a = collect(Body::from(vec![b'a'; 100]), Some(100), rules(), &budget)
            .await
            .unwrap();
        assert_eq!(a.bytes.len(), 100);
        assert_eq!(budget.available_permits(), 50);
        let refused = collect(Body::from(vec![b'b'; 80]), None, rules(), &budget).await;
        assert_eq!(refused.unwrap_err(), BodyRefusal::BufferFull);
        assert_eq!(
            budget.available_permits(),
            50,
            "a refused body gives its bytes back"
        );
        drop(a);
        assert_eq!(budget.available_permits(), 150);
    }

    #[tokio::test]
    async fn too_large_declared_or_sent() {
        let budget = Arc::new(Semaphore::new(1000));
        let declared = collect(Body::empty(), Some(101), rules(), &budget).await;
        assert_eq!(declared.unwrap_err(), BodyRefusal::TooLarge);
        let sent = collect(Body::from(vec![0u8; 101]), None, rules(), &budget).await;
        assert_eq!(sent.unwrap_err(), BodyRefusal::TooLarge);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_is_too_slow_after_the_grace() {
        let budget = Arc::new(Semaphore::new(1000));
        let got = collect(Body::new(Stall(false)), Some(100), rules(), &budget).await;
        assert_eq!(got.unwrap_err(), BodyRefusal::TooSlow);
        assert_eq!(budget.available_permits(), 1000);
    }

    /// A body that sends two bytes and then nothing, ever.
    struct Stall(bool);

    impl http_body::Body for Stall {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            if self.0 {
                return std::task::Poll::Pending;
            }
            self.0 = true;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"<x")))))
        }
    }
}
