//! The activities domain (志愿活动): communities publish volunteer activities, approved
//! volunteers sign up (capacity held by a conditional update), check in and out on site
//! with the same evidence as community check-ins, and staff confirm their hours, which are
//! paid through the ledger once and kept in the `service_monthly` aggregate.

pub mod attendance;
pub mod dto;
pub mod handlers;
pub mod manage;
pub mod records;
pub mod roster;
pub mod signups;

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create_activity,
        handlers::update_activity,
        handlers::cancel_activity,
        handlers::list_activities,
        handlers::get_activity,
        handlers::sign_up,
        handlers::list_signups,
        handlers::withdraw,
        handlers::check_in_to_activity,
        handlers::check_out_of_activity,
        handlers::confirm_attendance,
        handlers::my_service_records
    ),
    components(schemas(
        dto::ActivityStatus,
        dto::CreateActivity,
        dto::UpdateActivity,
        dto::ActivityView,
        dto::ActivityCheckin,
        dto::SignupView,
        dto::ConfirmAttendance,
        dto::AttendanceEntry,
        dto::SignupReview,
        dto::AttendanceResult,
        dto::AttendanceView,
        dto::ServiceRecords,
        dto::CommunityRecords,
        dto::MonthRecord
    ))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers as h;
    cfg.route(
        "/communities/{id}/activities",
        web::post().to(h::create_activity),
    )
    .route(
        "/communities/{id}/activities",
        web::get().to(h::list_activities),
    )
    .route("/activities/{id}", web::get().to(h::get_activity))
    .route("/activities/{id}", web::patch().to(h::update_activity))
    .route(
        "/activities/{id}/cancel",
        web::post().to(h::cancel_activity),
    )
    .route("/activities/{id}/signups", web::post().to(h::sign_up))
    .route("/activities/{id}/signups", web::get().to(h::list_signups))
    .route("/activities/{id}/signups/me", web::delete().to(h::withdraw))
    .route(
        "/activities/{id}/checkin",
        web::post().to(h::check_in_to_activity),
    )
    .route(
        "/activities/{id}/checkout",
        web::post().to(h::check_out_of_activity),
    )
    .route(
        "/activities/{id}/attendance",
        web::post().to(h::confirm_attendance),
    )
    .route("/me/service-records", web::get().to(h::my_service_records));
}
