//! The audit log: who did what to which object, written in the same transaction.

use entity::audit_logs;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::error::ApiResult;

/// One audit record.
pub struct Audit<'a> {
    /// Who acted.
    pub actor_id: i64,
    /// What was done, e.g. `residence.approve`.
    pub action: &'a str,
    /// Kind of object.
    pub object_type: &'a str,
    /// Object id.
    pub object_id: i64,
    /// Community concerned.
    pub community_id: Option<i64>,
    /// Details (no phones, tokens or coordinates).
    pub detail: serde_json::Value,
}

/// Writes an audit record.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
    a: Audit<'_>,
) -> ApiResult<()> {
    audit_logs::ActiveModel {
        actor_id: Set(Some(a.actor_id)),
        action: Set(a.action.to_owned()),
        object_type: Set(a.object_type.to_owned()),
        object_id: Set(a.object_id),
        community_id: Set(a.community_id),
        detail: Set(a.detail.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
