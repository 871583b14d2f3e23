//! Time for the machines: [`wsrx_rm::Timestamp`] as milliseconds since the Unix epoch,
//! so that deadlines in durable records survive a restart.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wsrx_rm::Timestamp;

/// Now, for the RM machines.
pub fn rm_now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Timestamp(ms)
}

/// How long until `deadline` (zero if past).
pub fn until(deadline: Timestamp) -> Duration {
    deadline.saturating_since(rm_now())
}
