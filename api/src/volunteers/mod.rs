//! The volunteers domain: couriers, in-service party members and resident volunteers
//! register with communities (报到), staff approve them, and they check in on site with
//! evidence that is hard to fake and impossible to double-count (README, "Check-in
//! evidence").

pub mod checkins;
pub mod code;
pub mod dto;
pub mod evidence;
pub mod flagged;
pub mod handlers;
pub mod registrations;
pub mod review;
pub mod stats;
pub mod sweeper;

use std::collections::HashMap;

use actix_web::web;
use sea_orm::ConnectionTrait;
use utoipa::OpenApi;

use crate::error::ApiResult;

/// Confirmed service hours of the user per community, all time, read from the activities'
/// `service_monthly` aggregate.
pub async fn service_hours_by_community<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> ApiResult<HashMap<i64, f64>> {
    crate::activities::records::hours_by_community(db, user_id).await
}

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::registrations::register,
        handlers::registrations::my_volunteering,
        handlers::registrations::list_registrations,
        handlers::registrations::approve_registration,
        handlers::registrations::reject_registration,
        handlers::registrations::roster,
        handlers::checkins::checkin_code,
        handlers::checkins::check_in,
        handlers::checkins::my_checkins,
        handlers::checkins::list_checkins,
        handlers::checkins::confirm_checkin,
        handlers::checkins::reject_checkin,
        handlers::registrations::stats
    ),
    components(schemas(
        dto::VolunteerKind,
        dto::RegistrationStatus,
        dto::CheckinEvidence,
        dto::CheckinStatus,
        dto::RegisterVolunteer,
        dto::RegistrationView,
        dto::RegistrationReview,
        dto::RosterEntry,
        dto::CommunityService,
        dto::CheckinCode,
        dto::CreateCheckin,
        dto::CheckinView,
        dto::CheckinReview,
        dto::VolunteerStats,
        dto::KindCount,
        dto::DayCount,
        dto::PointsAwarded
    ))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::{checkins as c, registrations as r};
    cfg.route("/volunteer-registrations", web::post().to(r::register))
        .route("/me/volunteering", web::get().to(r::my_volunteering))
        .route(
            "/communities/{id}/volunteer-registrations",
            web::get().to(r::list_registrations),
        )
        .route(
            "/volunteer-registrations/{id}/approve",
            web::post().to(r::approve_registration),
        )
        .route(
            "/volunteer-registrations/{id}/reject",
            web::post().to(r::reject_registration),
        )
        .route("/communities/{id}/volunteers", web::get().to(r::roster))
        .route(
            "/communities/{id}/volunteers/stats",
            web::get().to(r::stats),
        )
        .route(
            "/communities/{id}/checkin-code",
            web::get().to(c::checkin_code),
        )
        .route("/checkins", web::post().to(c::check_in))
        .route("/me/checkins", web::get().to(c::my_checkins))
        .route(
            "/communities/{id}/checkins",
            web::get().to(c::list_checkins),
        )
        .route("/checkins/{id}/confirm", web::post().to(c::confirm_checkin))
        .route("/checkins/{id}/reject", web::post().to(c::reject_checkin));
}
