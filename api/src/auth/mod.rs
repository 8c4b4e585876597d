//! Authentication and authorization: tokens, the caller, roles and scopes.

pub mod callers;
pub mod extractor;
pub mod jwt;
pub mod roles;
pub mod scope;
pub mod seal;

pub use extractor::{AuthUser, MaybeAuthUser};
pub use roles::{Caller, Grant, Role};
