//! Roles are data: a role assignment grants a role over one scope.

use crate::cache::Generation;
pub use entity::role_assignments::Role;
use entity::users;

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
    /// The user's cache generation when the caller was loaded (`auth::callers`), if any.
    pub generation: Option<Generation>,
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
