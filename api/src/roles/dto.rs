//! Role assignment requests and responses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Role;

/// `POST /role-assignments`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssignment {
    /// Who receives the role.
    #[validate(range(min = 1, message = "用户编号无效"))]
    pub user_id: i64,
    /// The role.
    pub role: Role,
    /// Street (street_admin), community (community_staff) or grid (grid_worker); omit or 0 for platform_admin.
    #[validate(range(min = 0, message = "范围编号无效"))]
    pub scope_id: Option<i64>,
}

/// `GET /role-assignments` filters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAssignments {
    /// Only this user's assignments.
    #[validate(range(min = 1, message = "用户编号无效"))]
    pub user_id: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    pub limit: Option<u64>,
}

/// A role assignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    /// Id.
    pub id: i64,
    /// Holder.
    pub user_id: i64,
    /// Holder's display name.
    pub nickname: String,
    /// The role.
    pub role: Role,
    /// Scope id (0 for platform admins).
    pub scope_id: i64,
    /// Name of the scope.
    pub scope_name: Option<String>,
    /// Who assigned it.
    pub created_by: Option<i64>,
    /// When.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
}
