//! HTTP handlers of the volunteers domain.

pub mod checkins;
pub mod registrations;
