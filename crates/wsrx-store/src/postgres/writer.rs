//! The writer task: batches queued by `submit`/`commit` are committed in queue order,
//! several in one transaction (group commit). A group that conflicts is redone one
//! batch per transaction, so that only the conflicting batch is refused, as with SQLite.
//! Each table's rows go in one statement (`unnest` of arrays): a batch costs a few round
//! trips, not one per row.

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Pool};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{pg_err, pool_err};
use crate::backend::{RowBatch, TokenRow};
use crate::error::StoreError;
use crate::job::{Job, Reply};

/// Runs until the queue's senders are gone and it is empty.
pub(super) async fn run(
    pool: Pool,
    mut queue: UnboundedReceiver<Job>,
    max_group: usize,
    op_timeout: Duration,
) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < max_group {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        // Replies are not `Sync`: kept apart from what crosses the awaits.
        let (batches, replies): (Vec<RowBatch>, Vec<Reply>) =
            jobs.into_iter().map(|j| (j.batch, j.reply)).unzip();
        let results = commit_jobs(&pool, &batches, op_timeout).await;
        // In queue order: a completion never runs before an earlier batch's.
        for (reply, result) in replies.into_iter().zip(results) {
            reply.send(result);
        }
    }
}

async fn commit_jobs(
    pool: &Pool,
    jobs: &[RowBatch],
    op_timeout: Duration,
) -> Vec<Result<(), StoreError>> {
    let batches: Vec<&RowBatch> = jobs.iter().collect();
    match timed(op_timeout, commit_group(pool, &batches)).await {
        Ok(()) => jobs.iter().map(|_| Ok(())).collect(),
        Err(StoreError::Conflict(_) | StoreError::Fenced(_)) if jobs.len() > 1 => {
            // Rare: redo one by one so that the others still commit.
            let mut results = Vec::with_capacity(jobs.len());
            for b in batches {
                results.push(timed(op_timeout, commit_group(pool, &[b])).await);
            }
            results
        }
        Err(e) => jobs.iter().map(|_| Err(again(&e))).collect(),
    }
}

/// The error of a failed group, for each of its batches (the same kind, the same text).
fn again(e: &StoreError) -> StoreError {
    match e {
        StoreError::Conflict(t) => StoreError::Conflict(t.clone()),
        StoreError::Unavailable(t) => StoreError::Unavailable(t.clone()),
        StoreError::Fenced(s) => StoreError::Fenced(s.clone()),
        other => StoreError::Backend(other.to_string()),
    }
}

async fn timed<T>(
    limit: Duration,
    f: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, f).await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(format!(
            "PostgreSQL did not answer within {} s",
            limit.as_secs()
        )))
    })
}

/// One transaction for `batches`, applied in order.
async fn commit_group(pool: &Pool, batches: &[&RowBatch]) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(pool_err)?;
    let tx = client.transaction().await.map_err(pg_err)?;
    for b in batches {
        apply(&tx, b).await?;
    }
    tx.commit().await.map_err(pg_err)
}

fn handles(values: impl Iterator<Item = u64>) -> Vec<i64> {
    // Handles and numbers are u64 stored as bigint (two's complement), as in SQLite.
    values.map(|v| v as i64).collect()
}

/// Applies one batch: deletes first, then inserts, then re-sealed rows (the order of
/// the SQLite backend).
pub(super) async fn apply(c: &impl GenericClient, b: &RowBatch) -> Result<(), StoreError> {
    // Fences first, in this transaction: the lease row is share-locked until the commit,
    // so a takeover (an update of that row) waits for it, and after a takeover this
    // check fails (another owner, a larger token).
    for f in &b.fences {
        let token = i64::try_from(f.token).unwrap_or(-1);
        let held = c
            .query_opt(
                "SELECT 1 FROM leases WHERE sequence = $1 AND owner = $2 AND token = $3 \
                 AND expires_at > clock_timestamp() FOR SHARE",
                &[&f.sequence, &f.owner, &token],
            )
            .await
            .map_err(pg_err)?;
        if held.is_none() {
            return Err(StoreError::Fenced(f.sequence.clone()));
        }
    }
    if !b.sequence_deletes.is_empty() {
        c.execute(
            "DELETE FROM records WHERE sequence = ANY($1)",
            &[&b.sequence_deletes],
        )
        .await
        .map_err(pg_err)?;
        c.execute(
            "DELETE FROM payloads WHERE sequence = ANY($1)",
            &[&b.sequence_deletes],
        )
        .await
        .map_err(pg_err)?;
        c.execute(
            "DELETE FROM handoffs WHERE sequence = ANY($1)",
            &[&b.sequence_deletes],
        )
        .await
        .map_err(pg_err)?;
    }
    if !b.payload_deletes.is_empty() {
        let h = handles(b.payload_deletes.iter().copied());
        c.execute("DELETE FROM payloads WHERE handle = ANY($1)", &[&h])
            .await
            .map_err(pg_err)?;
    }
    if !b.token_deletes.is_empty() {
        c.execute(
            "DELETE FROM tokens WHERE identifier = ANY($1)",
            &[&b.token_deletes],
        )
        .await
        .map_err(pg_err)?;
    }
    if !b.records.is_empty() {
        let seq: Vec<&str> = b.records.iter().map(|r| r.sequence.as_str()).collect();
        let idx = handles(b.records.iter().map(|r| r.index));
        let role: Vec<i16> = b.records.iter().map(|r| i16::from(r.role)).collect();
        let kek: Vec<&[u8]> = b.records.iter().map(|r| &r.kek[..]).collect();
        let blob: Vec<&[u8]> = b.records.iter().map(|r| r.blob.as_slice()).collect();
        c.execute(
            "INSERT INTO records (sequence, idx, role, kek, blob) \
             SELECT * FROM unnest($1::text[], $2::int8[], $3::int2[], $4::bytea[], $5::bytea[])",
            &[&seq, &idx, &role, &kek, &blob],
        )
        .await
        .map_err(pg_err)?;
    }
    if !b.payloads.is_empty() {
        let handle = handles(b.payloads.iter().map(|p| p.handle));
        let seq: Vec<&str> = b.payloads.iter().map(|p| p.sequence.as_str()).collect();
        let number = handles(b.payloads.iter().map(|p| p.number));
        let kek: Vec<&[u8]> = b.payloads.iter().map(|p| &p.kek[..]).collect();
        let blob: Vec<&[u8]> = b.payloads.iter().map(|p| p.blob.as_slice()).collect();
        c.execute(
            "INSERT INTO payloads (handle, sequence, number, kek, blob) \
             SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::bytea[], $5::bytea[])",
            &[&handle, &seq, &number, &kek, &blob],
        )
        .await
        .map_err(pg_err)?;
    }
    for t in last_per_identifier(&b.tokens) {
        c.execute(
            "INSERT INTO tokens (identifier, expires_at_ms, kek, blob) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (identifier) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms, \
             kek = EXCLUDED.kek, blob = EXCLUDED.blob",
            &[&t.identifier, &t.expires_at_ms, &&t.kek[..], &t.blob],
        )
        .await
        .map_err(pg_err)?;
    }
    for r in &b.rewrapped_records {
        c.execute(
            "UPDATE records SET kek = $1, blob = $2 WHERE sequence = $3 AND idx = $4",
            &[&&r.kek[..], &r.blob, &r.sequence, &(r.index as i64)],
        )
        .await
        .map_err(pg_err)?;
    }
    for p in &b.rewrapped_payloads {
        c.execute(
            "UPDATE payloads SET kek = $1, blob = $2 WHERE handle = $3",
            &[&&p.kek[..], &p.blob, &(p.handle as i64)],
        )
        .await
        .map_err(pg_err)?;
    }
    gateway_rows(c, b).await
}

/// The gateway's rows, after the others (the order of the SQLite backend): dead
/// letters deleted, then put (insert or replace), then hand-off marks raised.
async fn gateway_rows(c: &impl GenericClient, b: &RowBatch) -> Result<(), StoreError> {
    for (sequence, number) in &b.dead_letter_deletes {
        c.execute(
            "DELETE FROM dead_letters WHERE sequence = $1 AND number = $2",
            &[sequence, &(*number as i64)],
        )
        .await
        .map_err(pg_err)?;
    }
    for d in &b.dead_letters {
        c.execute(
            "INSERT INTO dead_letters (sequence, number, kek, blob) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sequence, number) DO UPDATE SET kek = EXCLUDED.kek, blob = EXCLUDED.blob",
            &[&d.sequence, &(d.number as i64), &&d.kek[..], &d.blob],
        )
        .await
        .map_err(pg_err)?;
    }
    for (sequence, number) in &b.handoffs {
        // Marks are u64 stored as bigint; compared as stored (numbers stay below 2^63).
        c.execute(
            "INSERT INTO handoffs (sequence, number) VALUES ($1, $2) \
             ON CONFLICT (sequence) DO UPDATE SET number = greatest(handoffs.number, EXCLUDED.number)",
            &[sequence, &(*number as i64)],
        )
        .await
        .map_err(pg_err)?;
    }
    for a in &b.audit {
        c.execute(
            "INSERT INTO audit (at_ms, entry) VALUES ($1, $2)",
            &[&a.at_ms, &a.entry],
        )
        .await
        .map_err(pg_err)?;
    }
    Ok(())
}

/// Tokens put twice in one batch: the last one wins (as `INSERT OR REPLACE` in order).
fn last_per_identifier(tokens: &[TokenRow]) -> Vec<&TokenRow> {
    let mut out: Vec<&TokenRow> = Vec::with_capacity(tokens.len());
    for t in tokens {
        match out.iter_mut().find(|o| o.identifier == t.identifier) {
            Some(slot) => *slot = t,
            None => out.push(t),
        }
    }
    out
}
