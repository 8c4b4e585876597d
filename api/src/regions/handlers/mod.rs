//! The HTTP layer of the community map: extract, call the service, shape the response.

pub mod communities;
pub mod districts;
pub mod grids;
