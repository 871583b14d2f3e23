//! The audit trail of the admin API: each action that changes something is a tracing
//! event (target `wsrx::audit`) and a row in the store (`wsrx_store::AuditRow`, a JSON
//! object: `action`, `target`, `outcome`, `ok`). Identifiers and outcomes only.

use wsrx_store::AuditRow;

/// The event and the row of `action` on `target`, done (`ok`) or refused, and what
/// came of it.
pub(super) fn record(action: &str, target: &str, ok: bool, said: &str) -> AuditRow {
    if ok {
        tracing::info!(target: "wsrx::audit", action, on = target, outcome = %said, "admin action");
    } else {
        tracing::warn!(target: "wsrx::audit", action, on = target, outcome = %said, "admin action refused");
    }
    let entry = serde_json::json!({
        "action": action,
        "target": target,
        "ok": ok,
        "outcome": said,
    });
    AuditRow {
        at_ms: now_ms(),
        entry: entry.to_string(),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_name_the_action_target_and_outcome() {
        let row = record("sequence.close", "urn:uuid:1", true, "done");
        let v: serde_json::Value = serde_json::from_str(&row.entry).unwrap_or_default();
        assert_eq!(
            v.get("action").and_then(|a| a.as_str()),
            Some("sequence.close")
        );
        assert_eq!(v.get("target").and_then(|a| a.as_str()), Some("urn:uuid:1"));
        assert_eq!(v.get("ok"), Some(&serde_json::Value::Bool(true)));
        let row = record(
            "token.cancel",
            "urn:x",
            false,
            "NotFound(\"no token urn:x\")",
        );
        assert!(row.entry.contains("\"ok\":false") && row.entry.contains("NotFound"));
        assert!(row.at_ms > 0);
    }
}
