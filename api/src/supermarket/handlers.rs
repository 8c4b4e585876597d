//! Civility supermarket handlers: goods, redemptions and pickup.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{
    desk,
    dto::*,
    for_me::{self, GoodsForMe},
    goods, pickup, redemptions, shelf, verification,
};
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    idempotency::{self, Idempotent},
    media::{ImageForm, ImageUpload},
    pagination::{Page, PageQuery},
    state::AppState,
};

/// Put new goods on a community's shelf (its staff); `stock` becomes the initial stock.
/// An optional `Idempotency-Key` makes a retried request create the goods once.
#[utoipa::path(post, path = "/api/v1/communities/{id}/goods", tag = "supermarket", request_body = CreateGoods,
    params(("id" = i64, Path, description = "Community id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional client-chosen key; a retry replays the first answer")),
    responses(
        (status = 201, description = "Created, on the shelf (or the replay of the first answer)", body = GoodsView),
        (status = 400, description = "`idempotency_key_invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 409, description = "`idempotency_request_in_progress`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `idempotency_key_reused`", body = ErrorBody)))]
pub async fn create_goods(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<CreateGoods>,
) -> ApiResult<HttpResponse> {
    let community_id = id.into_inner();
    let input = body.0;
    let request = Idempotent::optional(&req, caller.id(), "goods_create", &(community_id, &input))?;
    idempotency::run(&state, request, StatusCode::CREATED, |claim| {
        let now = state.clock.now();
        goods::create(
            &state.db,
            &state.cache,
            &caller,
            now,
            community_id,
            input,
            claim,
        )
    })
    .await
}

/// A community's shelf: on-shelf goods with stock, newest first by id, page by page,
/// filtered by `category` (exact) and `q` (a keyword in the name or description). The first
/// page without filters is cached for up to 60 s and refreshed on every change of the
/// community's goods. Each item says what it means for the caller (`remaining_for_me`,
/// `can_redeem`, `reason`); a token is optional, and without one every item answers
/// `can_redeem: false` with `reason: login_required`.
#[utoipa::path(get, path = "/api/v1/communities/{id}/goods", tag = "supermarket", security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Community id"), ShelfQuery),
    responses(
        (status = 200, description = "A page of the shelf, for the caller; an empty page when nothing matches", body = Page<GoodsForMe>),
        (status = 401, description = "`token_expired`, `unauthorized`: a token was sent and is not good (send none to browse anonymously)", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad category, keyword, cursor or limit", body = ErrorBody)))]
pub async fn list_goods(
    state: web::Data<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<ShelfQuery>,
) -> ApiResult<HttpResponse> {
    let db = state.db.conn();
    let page = goods::shelf(db, &state.cache, id.into_inner(), query.0).await?;
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(for_me::shelf(db, caller.as_ref(), now, page).await?))
}

/// The categories of a community's shelf, each with how many goods on the shelf belong to
/// it (public, like the shelf): most goods first, then by name; goods without a category
/// are counted in none. The whole list in one page.
#[utoipa::path(get, path = "/api/v1/communities/{id}/goods/categories", tag = "supermarket", security(()),
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "Every category of the shelf (`next_cursor` is null)", body = Page<CategoryCount>),
        (status = 404, description = "`not_found`: no such community", body = ErrorBody)))]
pub async fn list_goods_categories(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let page = shelf::categories(state.db.conn(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The stock book of a community's supermarket (its staff): every goods item, on the shelf
/// or off it, newest first by id, page by page, with the units pending pickup and handed
/// out. Never cached.
#[utoipa::path(get, path = "/api/v1/communities/{id}/goods/inventory", tag = "supermarket",
    params(("id" = i64, Path, description = "Community id"), PageQuery),
    responses(
        (status = 200, description = "A page of goods items with their counts", body = Page<InventoryItem>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn goods_inventory(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (community_id, page) = (id.into_inner(), query.0);
    let inventory =
        super::inventory::inventory(state.db.conn(), &caller, community_id, page).await?;
    Ok(HttpResponse::Ok().json(inventory))
}

/// One goods item for its detail page, also when off the shelf or sold out (`on_shelf`,
/// `stock` tell), so that redemptions and staff pages keep resolving it; with what it means
/// for the caller (`remaining_for_me`, `can_redeem`, `reason`; a token is optional).
#[utoipa::path(get, path = "/api/v1/goods/{id}", tag = "supermarket", security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Goods id")),
    responses(
        (status = 200, description = "The goods, for the caller", body = GoodsForMe),
        (status = 401, description = "`token_expired`, `unauthorized`: a token was sent and is not good (send none to browse anonymously)", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody)))]
pub async fn get_goods(
    state: web::Data<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let db = state.db.conn();
    let goods = goods::get(db, id.into_inner()).await?;
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(for_me::one(db, caller.as_ref(), now, goods).await?))
}

/// Edit goods or take them off the shelf (staff of their community); stock changes by restocking.
#[utoipa::path(patch, path = "/api/v1/goods/{id}", tag = "supermarket", request_body = UpdateGoods,
    params(("id" = i64, Path, description = "Goods id")),
    responses(
        (status = 200, description = "Updated", body = GoodsView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such goods, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn update_goods(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<UpdateGoods>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let goods = goods::update(
        &state.db,
        &state.cache,
        &caller,
        now,
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(goods))
}

/// Upload the picture of goods (staff of their community; `wx.chooseMedia` gives a local
/// file): `multipart/form-data` with the picture in the field `file`, as `wx.uploadFile`
/// sends it. JPEG, PNG or WebP (the type is read from the bytes); it is turned upright, scaled
/// to at most 1280 px a side and stored without its metadata (no EXIF or GPS). `image_url`
/// becomes its public URL; audited as `goods.image`.
#[utoipa::path(post, path = "/api/v1/goods/{id}/image", tag = "supermarket",
    request_body(content = ImageForm, content_type = "multipart/form-data"),
    params(("id" = i64, Path, description = "Goods id")),
    responses(
        (status = 200, description = "The goods with the new picture URL", body = GoodsView),
        (status = 400, description = "`invalid_body`: not well-formed multipart, or the body broke off", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such goods, or not managed by the caller (nothing is stored)", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the file is over `LINLI_UPLOAD_MAX_BYTES` (8 MiB by default)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not `multipart/form-data`", body = ErrorBody),
        (status = 422, description = "`unsupported_image`: not a JPEG, PNG or WebP picture, or unreadable; `image_too_large`: over 40 megapixels or 8192 px a side; `validation_failed`: no `file` field, a second file or another field", body = ErrorBody)))]
pub async fn upload_goods_image(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    ImageUpload(upload): ImageUpload,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let goods = goods::set_image(
        &state.db,
        &state.cache,
        &state.media,
        &caller,
        now,
        id.into_inner(),
        upload,
    )
    .await?;
    Ok(HttpResponse::Ok().json(goods))
}

/// Add units to the shelf (staff of the goods' community); recorded and audited. An
/// optional `Idempotency-Key` makes a retried request add the units once.
#[utoipa::path(post, path = "/api/v1/goods/{id}/restock", tag = "supermarket", request_body = RestockInput,
    params(("id" = i64, Path, description = "Goods id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional client-chosen key; a retry replays the first answer")),
    responses(
        (status = 200, description = "Restocked: the goods with their new stock (or the replay of the first answer)", body = GoodsView),
        (status = 400, description = "`idempotency_key_invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such goods, or not managed by the caller", body = ErrorBody),
        (status = 409, description = "`idempotency_request_in_progress`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `idempotency_key_reused`", body = ErrorBody)))]
pub async fn restock_goods(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<RestockInput>,
) -> ApiResult<HttpResponse> {
    let goods_id = id.into_inner();
    let input = body.0;
    let request = Idempotent::optional(&req, caller.id(), "goods_restock", &(goods_id, &input))?;
    idempotency::run(&state, request, StatusCode::OK, |claim| {
        let now = state.clock.now();
        goods::restock(
            &state.db,
            &state.cache,
            &caller,
            now,
            goods_id,
            input,
            claim,
        )
    })
    .await
}

/// Redeem goods with points; needs an `Idempotency-Key` header. Answers the pickup code
/// and its deadline. Nothing is written when it fails.
#[utoipa::path(post, path = "/api/v1/redemptions", tag = "supermarket", request_body = CreateRedemption,
    params(("Idempotency-Key" = String, Header, description = "Client-chosen key; a retry replays the first answer")),
    responses(
        (status = 201, description = "Redeemed, `pending` until picked up (or the replay of the first answer)", body = RedemptionView),
        (status = 400, description = "`idempotency_key_required` / `idempotency_key_invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`not_a_member`: the community's supermarket does not serve the caller (its `supermarket_policy`); nothing is written", body = ErrorBody),
        (status = 404, description = "`not_found`: no such goods", body = ErrorBody),
        (status = 409, description = "`out_of_stock`, `insufficient_points` (with the current balance under `details.balance`), `limit_reached`, `goods_unavailable`, `idempotency_request_in_progress`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `idempotency_key_reused`", body = ErrorBody),
        (status = 503, description = "`service_busy`, `pickup_codes_exhausted`: try again with the same key", body = ErrorBody)))]
pub async fn create_redemption(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    body: ValidatedJson<CreateRedemption>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let request = Idempotent::required(&req, caller.id(), "redemption", &input)?;
    idempotency::run(&state, request, StatusCode::CREATED, |claim| {
        let now = state.clock.now();
        let counter = &state.supermarket;
        redemptions::create(&state.db, &state.cache, counter, &caller, now, input, claim)
    })
    .await
}

/// The caller's redemptions with their pickup codes, newest first.
#[utoipa::path(get, path = "/api/v1/me/redemptions", tag = "supermarket", params(MyRedemptionsQuery),
    responses(
        (status = 200, description = "A page of redemptions", body = Page<RedemptionView>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad status, cursor or limit", body = ErrorBody)))]
pub async fn list_my_redemptions(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    query: ValidatedQuery<MyRedemptionsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(redemptions::list_mine(state.db.conn(), &caller, query.0).await?))
}

/// One redemption's pickup page, for its owner or the staff of its community: the goods,
/// the community's name, pickup place and hours, and, for its owner while it is pending, the
/// pickup `code` and the `qr_payload` to show as a QR code (`linli:redeem:<code>`). Both are
/// null once it is fulfilled, cancelled or expired, and for staff.
#[utoipa::path(get, path = "/api/v1/redemptions/{id}", tag = "supermarket",
    params(("id" = i64, Path, description = "Redemption id")),
    responses(
        (status = 200, description = "The redemption with where and when to pick it up", body = RedemptionDetail),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such redemption of the caller or of a community they manage", body = ErrorBody)))]
pub async fn get_redemption(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let detail = pickup::detail(state.db.conn(), &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Cancel one of the caller's pending redemptions: points refunded and stock restored, once.
#[utoipa::path(post, path = "/api/v1/redemptions/{id}/cancel", tag = "supermarket",
    params(("id" = i64, Path, description = "Redemption id")),
    responses(
        (status = 200, description = "Cancelled", body = RedemptionView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such redemption of the caller", body = ErrorBody),
        (status = 409, description = "`redemption_not_pending`: already fulfilled, cancelled or expired", body = ErrorBody)))]
pub async fn cancel_redemption(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let view = redemptions::cancel(&state.db, &state.cache, &caller, now, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The desk (确认发放): staff of the community look up the redemption a pickup code (or a
/// scanned `linli:redeem:<code>`) names, with the goods, quantity, the resident's masked name
/// and phone and its status, without changing it; `verify` then hands it over. Each lookup
/// counts against the caller's write budget (codes are short).
#[utoipa::path(get, path = "/api/v1/communities/{id}/redemptions/lookup", tag = "supermarket",
    params(("id" = i64, Path, description = "Community id"), LookupQuery),
    responses(
        (status = 200, description = "The redemption, unchanged", body = StaffRedemptionView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`redemption_code_not_found` (核销码无效或已过期): the code matches no redemption of this community; `not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: the code is not six digits", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many lookups and writes for now", body = ErrorBody)))]
pub async fn lookup_redemption(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<LookupQuery>,
) -> ApiResult<HttpResponse> {
    let view = desk::lookup(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Hand over goods (核销): staff of the community verify the resident's pickup code (or the
/// scanned `linli:redeem:<code>`).
#[utoipa::path(post, path = "/api/v1/communities/{id}/redemptions/verify", tag = "supermarket", request_body = VerifyInput,
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "Fulfilled, with who and when", body = StaffRedemptionView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`redemption_code_not_found` (核销码无效或已过期): the code matches no redemption of this community; `not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 409, description = "`already_fulfilled`, `redemption_expired` (points refunded), `redemption_cancelled`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn verify_redemption(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<VerifyInput>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let (community_id, input) = (id.into_inner(), body.0);
    let view =
        verification::verify(&state.db, &state.cache, &caller, now, community_id, input).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A community's redemptions for its staff, newest first, by state and creation time. The
/// badge of pickups waiting is `?status=pending&with_total=true`.
#[utoipa::path(get, path = "/api/v1/communities/{id}/redemptions", tag = "supermarket",
    params(("id" = i64, Path, description = "Community id"), CommunityRedemptionsQuery),
    responses(
        (status = 200, description = "A page of redemptions with who redeemed (masked), without pickup codes; with `with_total=true` also `total`, the count of every redemption the filters match", body = Page<StaffRedemptionView>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad status, time, cursor or limit", body = ErrorBody)))]
pub async fn list_community_redemptions(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<CommunityRedemptionsQuery>,
) -> ApiResult<HttpResponse> {
    let page =
        redemptions::list_for_community(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}
