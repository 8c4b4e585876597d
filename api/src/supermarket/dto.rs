//! Requests and responses of the civility supermarket.

use chrono::{DateTime, Utc};
use entity::goods;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

pub use entity::redemptions::RedemptionStatus;

fn pickup_code(code: &str) -> Result<(), ValidationError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new("code").with_message("核销码须为6位数字".into()))
    }
}

/// A pickup code as the desk typed or scanned it: the bare code or its QR payload
/// (`linli:redeem:<code>`), trimmed, becomes the bare code.
fn scanned<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map(|s| super::pickup::scanned_code(&s).to_owned())
}

fn picture_url(url: &str) -> Result<(), ValidationError> {
    crate::media::check_picture_url(url, "图片")
}

/// `POST /communities/{id}/goods`.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoods {
    /// Name, 1 to 64 characters after trimming.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "商品名称须为1到64个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
    /// Description, at most 2000 characters.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(max = 2000, message = "商品介绍不能超过2000个字"),
        custom(function = "crate::text::multi_line")
    )]
    pub description: String,
    /// Picture: an `https://` address, or the `/media/…` URL of an uploaded picture
    /// (`POST /api/v1/goods/{id}/image` uploads one and sets it).
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(max = 512, message = "图片地址不能超过512个字符"),
        custom(function = "picture_url"),
        custom(function = "crate::text::line")
    )]
    pub image_url: Option<String>,
    /// Category, e.g. 日用品.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 32, message = "分类须为1到32个字"),
        custom(function = "crate::text::name")
    )]
    pub category: Option<String>,
    /// Price in points per unit.
    #[validate(range(min = 1, max = 1000000, message = "积分价格须在 1 到 1000000 之间"))]
    pub points_price: i64,
    /// Units on the shelf.
    #[validate(range(min = 0, max = 100000, message = "库存须在 0 到 100000 之间"))]
    pub stock: i64,
    /// Most units one user may redeem per month (Asia/Shanghai); no limit when absent.
    #[validate(range(min = 1, max = 1000, message = "每月限兑数量须在 1 到 1000 之间"))]
    pub monthly_limit_per_user: Option<i64>,
}

/// `PATCH /goods/{id}`: only the fields given change; stock changes by restocking.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGoods {
    /// New name, 1 to 64 characters after trimming.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(min = 1, max = 64, message = "商品名称须为1到64个字"),
        custom(function = "crate::text::name")
    )]
    pub name: Option<String>,
    /// New description, at most 2000 characters.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(max = 2000, message = "商品介绍不能超过2000个字"),
        custom(function = "crate::text::multi_line")
    )]
    pub description: Option<String>,
    /// New picture (`https://…` or an uploaded `/media/…` URL); `null` removes it.
    #[serde(
        default,
        deserialize_with = "crate::fields::nullable_trimmed",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, nullable = true)]
    #[validate(
        length(max = 512, message = "图片地址不能超过512个字符"),
        custom(function = "picture_url"),
        custom(function = "crate::text::line")
    )]
    pub image_url: Option<Option<String>>,
    /// New category; `null` removes it.
    #[serde(
        default,
        deserialize_with = "crate::fields::nullable_trimmed",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, nullable = true)]
    #[validate(
        length(min = 1, max = 32, message = "分类须为1到32个字"),
        custom(function = "crate::text::name")
    )]
    pub category: Option<Option<String>>,
    /// New price; pending redemptions keep the points they paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 1, max = 1000000, message = "积分价格须在 1 到 1000000 之间"))]
    pub points_price: Option<i64>,
    /// New monthly limit per user; `null` removes the limit.
    #[serde(
        default,
        deserialize_with = "crate::fields::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>, nullable = true)]
    #[validate(range(min = 1, max = 1000, message = "每月限兑数量须在 1 到 1000 之间"))]
    pub monthly_limit_per_user: Option<Option<i64>>,
    /// `false` takes the goods off the shelf (no new redemptions); `true` puts them back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_shelf: Option<bool>,
}

/// `POST /goods/{id}/restock`.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestockInput {
    /// Units added, 1 to 100000.
    #[validate(range(min = 1, max = 100000, message = "补货数量须在 1 到 100000 之间"))]
    pub quantity: i64,
    /// Note, e.g. the donor or the batch (at most 200 characters).
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(max = 200, message = "备注不能超过200个字"),
        custom(function = "crate::text::multi_line")
    )]
    pub note: String,
}

/// Goods as residents and staff see them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GoodsView {
    /// Goods id.
    pub id: i64,
    /// Community whose supermarket stocks it.
    pub community_id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Picture.
    pub image_url: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price in points per unit.
    pub points_price: i64,
    /// Units available now.
    pub stock: i64,
    /// Units ever put on the shelf: the first stock plus every restock.
    pub total_stocked: i64,
    /// Most units one user may redeem per month.
    pub monthly_limit_per_user: Option<i64>,
    /// Whether it can be redeemed.
    pub on_shelf: bool,
    /// Created at.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
    /// Last edited by staff.
    #[serde(with = "crate::time_format")]
    pub updated_at: DateTime<Utc>,
}

impl From<goods::Model> for GoodsView {
    fn from(g: goods::Model) -> Self {
        GoodsView {
            id: g.id,
            community_id: g.community_id,
            name: g.name,
            description: g.description,
            image_url: g.image_url,
            category: g.category,
            points_price: g.points_price,
            stock: g.stock,
            total_stocked: g.total_stocked,
            monthly_limit_per_user: g.monthly_limit_per_user,
            on_shelf: g.on_shelf,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// `GET /communities/{id}/goods`: the shelf, newest first, filtered and paged.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShelfQuery {
    /// Only goods of this category (exact match, after trimming), as listed by
    /// `GET /communities/{id}/goods/categories`.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 32, message = "分类须为1到32个字"),
        custom(function = "crate::text::line")
    )]
    #[param(min_length = 1, max_length = 32)]
    pub category: Option<String>,
    /// Only goods whose name or description contains this keyword (after trimming, 1 to 32
    /// characters); letters match in either case, and `%` and `_` are plain characters.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 32, message = "搜索关键词须为1到32个字"),
        custom(function = "crate::text::line")
    )]
    #[param(min_length = 1, max_length = 32)]
    pub q: Option<String>,
    /// The `next_cursor` of the previous page, with the same `category` and `q`.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// A category of a community's shelf and how many of the goods on it belong to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    /// The category, as `category=` takes it.
    pub category: String,
    /// Goods on the shelf (on sale, with stock) of this category.
    pub count: u64,
}

/// One line of the staff's stock book. For every item,
/// `stock + pending_units + fulfilled_units = goods.total_stocked`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InventoryItem {
    /// The goods, on or off the shelf.
    pub goods: GoodsView,
    /// Units of the first stocking.
    pub initial_stock: i64,
    /// Units promised to pending redemptions (taken from stock, not yet picked up).
    pub pending_units: i64,
    /// Units handed out at pickup.
    pub fulfilled_units: i64,
}

/// `POST /redemptions`.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRedemption {
    /// Goods to redeem.
    #[validate(range(min = 1, message = "商品编号无效"))]
    pub goods_id: i64,
    /// Units, 1 to 100.
    #[validate(range(min = 1, max = 100, message = "兑换数量须在 1 到 100 之间"))]
    pub quantity: i64,
}

/// The goods of a redemption, at the price paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoodsSummary {
    /// Goods id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Points paid per unit.
    pub points_price: i64,
    /// Picture.
    pub image_url: Option<String>,
}

/// A redemption.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionView {
    /// Redemption id.
    pub id: i64,
    /// Where it stands.
    pub status: RedemptionStatus,
    /// Six-digit pickup code, shown to its owner (and to the desk that typed it) while the
    /// redemption is `pending`; null once it is fulfilled, cancelled or expired, and in staff
    /// lists.
    pub code: Option<String>,
    /// What the pickup QR code encodes, `linli:redeem:<code>`; null exactly when `code` is.
    /// The desk accepts it wherever it accepts the code.
    #[schema(example = "linli:redeem:042917")]
    pub qr_payload: Option<String>,
    /// Pickup deadline.
    #[serde(with = "crate::time_format")]
    pub expires_at: DateTime<Utc>,
    /// Points paid.
    pub points: i64,
    /// Units.
    pub quantity: i64,
    /// The goods.
    pub goods: GoodsSummary,
    /// Community of the goods.
    pub community_id: i64,
    /// Who redeemed.
    pub user_id: i64,
    /// Created at.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
    /// When it was picked up.
    #[serde(with = "crate::time_format::option")]
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Staff member who verified the pickup.
    pub fulfilled_by: Option<i64>,
    /// When it was cancelled or expired.
    #[serde(with = "crate::time_format::option")]
    pub closed_at: Option<DateTime<Utc>>,
}

/// `GET /me/redemptions` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyRedemptionsQuery {
    /// Only redemptions in this state; all when absent.
    pub status: Option<RedemptionStatus>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `GET /communities/{id}/redemptions` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommunityRedemptionsQuery {
    /// Only redemptions in this state; all when absent.
    pub status: Option<RedemptionStatus>,
    /// Created at or after this instant (RFC 3339).
    #[validate(custom(function = "crate::time_format::plausible_instant"))]
    pub from: Option<DateTime<Utc>>,
    /// Created before this instant (RFC 3339).
    #[validate(custom(function = "crate::time_format::plausible_instant"))]
    pub to: Option<DateTime<Utc>>,
    /// `true` adds `total`, the count of every redemption these filters match (e.g. the
    /// badge of pending pickups with `status=pending`).
    pub with_total: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `POST /communities/{id}/redemptions/verify`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// The six-digit pickup code the resident shows, or the QR payload the desk scanned
    /// (`linli:redeem:<code>`).
    #[serde(deserialize_with = "scanned")]
    #[validate(custom(function = "pickup_code"))]
    #[schema(example = "042917")]
    pub code: String,
}

/// `GET /communities/{id}/redemptions/lookup` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The six-digit pickup code, or the scanned QR payload (`linli:redeem:<code>`).
    #[serde(deserialize_with = "scanned")]
    #[validate(custom(function = "pickup_code"))]
    #[param(example = "042917")]
    pub code: String,
}

/// A redemption's pickup page: the redemption with where and when to pick it up.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionDetail {
    /// The redemption (its code only for its owner, while pending).
    #[serde(flatten)]
    pub redemption: RedemptionView,
    /// Name of the community whose supermarket hands it out.
    pub community_name: String,
    /// Where to pick it up.
    pub pickup_address: Option<String>,
    /// When the supermarket hands goods out.
    pub pickup_hours: Option<String>,
}

/// A redemption as community staff see it: who redeemed (masked) and who handed it out.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffRedemptionView {
    /// The redemption (no code in lists).
    #[serde(flatten)]
    pub redemption: RedemptionView,
    /// The resident's masked name, e.g. `张*`.
    #[schema(example = "张*")]
    pub user_name: String,
    /// The resident's masked phone, when bound.
    #[schema(example = "138****5678")]
    pub user_phone: Option<String>,
    /// Name of the staff member who handed it out.
    pub fulfilled_by_name: Option<String>,
}
