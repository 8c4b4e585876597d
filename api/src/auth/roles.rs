//! Roles are data: a role assignment grants a role over one scope.

use entity::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role and the kind of scope it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The city's operator; scope 0 (everything).
    PlatformAdmin,
    /// Scope: a street.
    StreetAdmin,
    /// Scope: a community.
    CommunityStaff,
    /// Scope: a grid.
    GridWorker,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::StreetAdmin => "street_admin",
            Role::CommunityStaff => "community_staff",
            Role::GridWorker => "grid_worker",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "platform_admin" => Role::PlatformAdmin,
            "street_admin" => Role::StreetAdmin,
            "community_staff" => Role::CommunityStaff,
            "grid_worker" => Role::GridWorker,
            _ => return None,
        })
    }
}

/// One role the caller holds now.
#[derive(Clone, Debug)]
pub struct Grant {
    /// Role assignment id.
    pub id: i64,
    /// The role.
    pub role: Role,
    /// Street, community or grid id (0 for platform admins).
    pub scope_id: i64,
}

/// The authenticated user of a request with the roles they hold at this moment.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user row.
    pub user: users::Model,
    /// Current role assignments.
    pub grants: Vec<Grant>,
}

impl Caller {
    /// The user id.
    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// True for platform admins.
    pub fn is_platform_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::PlatformAdmin)
    }

    /// True when the caller holds `role` over `scope_id`.
    pub fn holds(&self, role: Role, scope_id: i64) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.scope_id == scope_id)
    }

    /// The scopes over which the caller holds `role`.
    pub fn scopes(&self, role: Role) -> Vec<i64> {
        self.grants
            .iter()
            .filter(|g| g.role == role)
            .map(|g| g.scope_id)
            .collect()
    }
}
