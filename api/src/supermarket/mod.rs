//! The civility supermarket (文明超市): staff stock donated goods, residents redeem them with
//! points and pick them up with a six-digit code; unclaimed redemptions expire and refund.

pub mod desk;
pub mod dto;
pub mod eligibility;
pub mod for_me;
pub mod gate;
pub mod goods;
pub mod handlers;
pub mod inventory;
pub mod pickup;
pub mod redemptions;
pub mod release;
pub mod shelf;
pub mod sweeper;
pub mod verification;

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create_goods,
        handlers::list_goods,
        handlers::list_goods_categories,
        handlers::goods_inventory,
        handlers::get_goods,
        handlers::update_goods,
        handlers::upload_goods_image,
        handlers::restock_goods,
        handlers::create_redemption,
        handlers::list_my_redemptions,
        handlers::get_redemption,
        handlers::cancel_redemption,
        handlers::lookup_redemption,
        handlers::verify_redemption,
        handlers::list_community_redemptions
    ),
    components(schemas(
        dto::CreateGoods,
        dto::UpdateGoods,
        dto::RestockInput,
        dto::GoodsView,
        dto::CategoryCount,
        dto::InventoryItem,
        dto::CreateRedemption,
        dto::RedemptionStatus,
        dto::GoodsSummary,
        dto::RedemptionView,
        dto::VerifyInput,
        dto::RedemptionDetail,
        dto::StaffRedemptionView,
        for_me::RedeemBlock,
        for_me::GoodsForMe
    ))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/communities/{id}/goods")
            .route(web::get().to(handlers::list_goods))
            .route(web::post().to(handlers::create_goods)),
    )
    .route(
        "/communities/{id}/goods/categories",
        web::get().to(handlers::list_goods_categories),
    )
    .route(
        "/communities/{id}/goods/inventory",
        web::get().to(handlers::goods_inventory),
    )
    .service(
        web::resource("/goods/{id}")
            .route(web::get().to(handlers::get_goods))
            .route(web::patch().to(handlers::update_goods)),
    )
    .route(
        "/goods/{id}/image",
        web::post().to(handlers::upload_goods_image),
    )
    .route(
        "/goods/{id}/restock",
        web::post().to(handlers::restock_goods),
    )
    .route("/redemptions", web::post().to(handlers::create_redemption))
    .route(
        "/me/redemptions",
        web::get().to(handlers::list_my_redemptions),
    )
    .route("/redemptions/{id}", web::get().to(handlers::get_redemption))
    .route(
        "/redemptions/{id}/cancel",
        web::post().to(handlers::cancel_redemption),
    )
    .route(
        "/communities/{id}/redemptions/lookup",
        web::get().to(handlers::lookup_redemption),
    )
    .route(
        "/communities/{id}/redemptions/verify",
        web::post().to(handlers::verify_redemption),
    )
    .route(
        "/communities/{id}/redemptions",
        web::get().to(handlers::list_community_redemptions),
    );
}
