//! The lease table of a PostgreSQL store (see [`crate::lease`]): acquire (or take over
//! an expired lease), renew, release; each one statement, expiry by the database's
//! clock (`clock_timestamp()`). The fence check of a batch is in [`super::writer`].

use std::time::Duration;

use super::{PostgresBackend, pg_err, pool_err};
use crate::error::StoreError;
use crate::lease::Acquired;

/// Milliseconds as a PostgreSQL bigint (saturating).
fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl PostgresBackend {
    /// Asks for the lease on `sequence` for `owner`, for `ttl`: granted (with a new
    /// fencing token) when nobody holds it, when its lease expired, or when `owner`
    /// itself held it (a restarted node under the same id: the old token is dead);
    /// otherwise who holds it and for how long.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database does not answer.
    pub fn acquire_lease(
        &self,
        sequence: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Acquired, StoreError> {
        let pool = self.pool.clone();
        let (sequence, owner, ttl) = (sequence.to_owned(), owner.to_owned(), ms(ttl));
        self.block(async move {
            let mut client = pool.get().await.map_err(pool_err)?;
            let tx = client.transaction().await.map_err(pg_err)?;
            // The current row, locked until the end of this transaction.
            let current = tx
                .query_opt(
                    "SELECT owner, (extract(epoch FROM expires_at - clock_timestamp()) \
                     * 1000)::int8 FROM leases WHERE sequence = $1 FOR UPDATE",
                    &[&sequence],
                )
                .await
                .map_err(pg_err)?
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)));
            if let Some((holder, left)) = &current
                && *holder != owner
                && *left > 0
            {
                return Ok(Acquired::HeldBy {
                    owner: holder.clone(),
                    remaining_ms: u64::try_from(*left).unwrap_or(0),
                });
            }
            // Free, expired, or this owner's: a new token. A node inserting the same new
            // sequence at the same instant finds the other's live row (no update, no row).
            let row = tx
                .query_opt(
                    "INSERT INTO leases (sequence, owner, token, expires_at) \
                     VALUES ($1, $2, nextval('lease_fencing'), \
                             clock_timestamp() + $3::int8 * interval '1 millisecond') \
                     ON CONFLICT (sequence) DO UPDATE SET owner = EXCLUDED.owner, \
                         token = EXCLUDED.token, expires_at = EXCLUDED.expires_at \
                     WHERE leases.expires_at <= clock_timestamp() OR leases.owner = EXCLUDED.owner \
                     RETURNING token",
                    &[&sequence, &owner, &ttl],
                )
                .await
                .map_err(pg_err)?;
            let Some(row) = row else {
                tx.rollback().await.map_err(pg_err)?;
                return Ok(Acquired::HeldBy {
                    owner: String::new(),
                    remaining_ms: 0,
                });
            };
            tx.commit().await.map_err(pg_err)?;
            let token: i64 = row.get(0);
            Ok(Acquired::Granted {
                token: u64::try_from(token).unwrap_or(0),
                previous_owner: current.map(|(holder, _)| holder).filter(|h| *h != owner),
            })
        })
    }

    /// Extends `owner`'s lease on `sequence` under `token` by `ttl` from now; false
    /// when it is no longer held so (expired, taken over or released): the lease is lost.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database does not answer.
    pub fn renew_lease(
        &self,
        sequence: &str,
        owner: &str,
        token: u64,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        let (sequence, owner, ttl) = (sequence.to_owned(), owner.to_owned(), ms(ttl));
        let token = i64::try_from(token).unwrap_or(-1);
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let n = client
                .execute(
                    "UPDATE leases SET expires_at = clock_timestamp() + $4::int8 * interval '1 millisecond' \
                     WHERE sequence = $1 AND owner = $2 AND token = $3 \
                     AND expires_at > clock_timestamp()",
                    &[&sequence, &owner, &token, &ttl],
                )
                .await
                .map_err(pg_err)?;
            Ok(n == 1)
        })
    }

    /// Gives `owner`'s lease on `sequence` under `token` back (another node may take it
    /// at once); false when it was not held so.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database does not answer.
    pub fn release_lease(
        &self,
        sequence: &str,
        owner: &str,
        token: u64,
    ) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        let (sequence, owner) = (sequence.to_owned(), owner.to_owned());
        let token = i64::try_from(token).unwrap_or(-1);
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let n = client
                .execute(
                    "DELETE FROM leases WHERE sequence = $1 AND owner = $2 AND token = $3",
                    &[&sequence, &owner, &token],
                )
                .await
                .map_err(pg_err)?;
            Ok(n == 1)
        })
    }

    /// Gives back every lease `owner` holds (a graceful shutdown); how many.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database does not answer.
    pub fn release_leases(&self, owner: &str) -> Result<u64, StoreError> {
        let pool = self.pool.clone();
        let owner = owner.to_owned();
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            client
                .execute("DELETE FROM leases WHERE owner = $1", &[&owner])
                .await
                .map_err(pg_err)
        })
    }

    /// Live leases per node, by node id (for metrics and operators).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database does not answer.
    pub fn lease_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let rows = client
                .query(
                    "SELECT owner, count(*) FROM leases WHERE expires_at > clock_timestamp() \
                     GROUP BY owner ORDER BY owner",
                    &[],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows
                .iter()
                .map(|r| {
                    (
                        r.get::<_, String>(0),
                        u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
                    )
                })
                .collect())
        })
    }
}
