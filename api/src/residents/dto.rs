//! Request and response types of the residents domain, and the address rules they apply.

use std::{borrow::Cow, collections::BTreeMap, fmt};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

pub use entity::residences::{ResidenceRelation, ResidenceStatus};

use crate::error::{ApiError, ApiResult};

/// Longest building, unit or room name, in characters after normalisation.
const ADDRESS_PART_MAX: usize = 32;
/// Longest rejection reason, in characters.
const REASON_MAX: usize = 200;

/// `POST /me/residences`: apply to be a verified resident of an address.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitResidence {
    /// Community of the address.
    pub community_id: i64,
    /// Building (楼栋), e.g. `3栋`; full-width characters count as their ASCII forms.
    #[validate(custom(function = "valid_address_part"))]
    #[schema(min_length = 1, max_length = 32, example = "3栋")]
    pub building: String,
    /// Unit (单元), e.g. `2单元`.
    #[validate(custom(function = "valid_address_part"))]
    #[schema(min_length = 1, max_length = 32, example = "2单元")]
    pub unit: String,
    /// Room (室), e.g. `1201`.
    #[validate(custom(function = "valid_address_part"))]
    #[schema(min_length = 1, max_length = 32, example = "1201")]
    pub room: String,
    /// `owner`, `tenant` or `family`.
    pub relation: ResidenceRelation,
    /// Exclusive floor area in m², owners only; 1 to 10000 with at most 2 decimals.
    #[validate(
        range(min = 1.0, max = 10000.0, message = "面积须在 1 到 10000 平方米之间"),
        custom(function = "at_most_two_decimals")
    )]
    #[schema(minimum = 1, maximum = 10000, example = 89.5)]
    pub floor_area_m2: Option<f64>,
    /// Latitude where the applicant stands, only to suggest a grid; never stored.
    #[validate(range(min = -90.0, max = 90.0, message = "纬度须在 -90 到 90 之间"))]
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    /// Longitude, given together with `lat`; never stored.
    #[validate(range(min = -180.0, max = 180.0, message = "经度须在 -180 到 180 之间"))]
    #[schema(minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
}

/// A point given by the client; its `Debug` hides the numbers so they never reach a log.
#[derive(Clone, Copy)]
pub struct Location {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lng: f64,
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Location(<redacted>)")
    }
}

/// A building, unit and room, normalised so equal addresses compare equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Building.
    pub building: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
}

/// A checked application, ready for the service.
#[derive(Debug)]
pub struct NewResidence {
    /// Community.
    pub community_id: i64,
    /// Normalised address.
    pub address: Address,
    /// Relation to the address.
    pub relation: ResidenceRelation,
    /// Floor area in dm² (owners only).
    pub floor_area_dm2: Option<i64>,
    /// Where the applicant stands, if given.
    pub location: Option<Location>,
}

impl SubmitResidence {
    /// Applies the rules that span fields and normalises the address.
    pub fn into_new(self) -> ApiResult<NewResidence> {
        let mut fields = BTreeMap::new();
        if self.floor_area_m2.is_some() && self.relation != ResidenceRelation::Owner {
            fields.insert(
                "floor_area_m2".to_owned(),
                "只有业主可以填写面积".to_owned(),
            );
        }
        let location = match (self.lat, self.lng) {
            (Some(lat), Some(lng)) => Some(Location { lat, lng }),
            (None, None) => None,
            (Some(_), None) => {
                fields.insert("lng".to_owned(), "经纬度须同时提供".to_owned());
                None
            }
            (None, Some(_)) => {
                fields.insert("lat".to_owned(), "经纬度须同时提供".to_owned());
                None
            }
        };
        if !fields.is_empty() {
            return Err(ApiError::validation(fields));
        }
        Ok(NewResidence {
            community_id: self.community_id,
            address: Address {
                building: normalize_address_part(&self.building),
                unit: normalize_address_part(&self.unit),
                room: normalize_address_part(&self.room),
            },
            relation: self.relation,
            floor_area_dm2: self.floor_area_m2.map(m2_to_dm2),
            location,
        })
    }
}

/// `POST /residences/{id}/approve`: optionally place the household in a grid.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveResidence {
    /// Grid of the community to put the household in; defaults to the suggested grid.
    pub grid_id: Option<i64>,
}

/// `POST /residences/{id}/reject`: refuse with a reason the applicant will read.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectResidence {
    /// Why, 1 to 200 characters.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(custom(function = "valid_reason"))]
    #[schema(min_length = 1, max_length = 200, example = "房号与产权登记不符")]
    pub reason: String,
}

/// `GET /communities/{id}/residences` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListResidencesQuery {
    /// Only applications in this state; all when absent.
    pub status: Option<ResidenceStatus>,
    /// `true` adds `total`, the count of every application this filter matches (the badge
    /// of the review queue with `status=pending`).
    pub with_total: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `GET /communities/{id}/residents` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResidentSearchQuery {
    /// A part of the name, or the last four digits of the phone; every resident when absent.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 32, message = "搜索内容须为1到32个字"),
        custom(function = "crate::text::name")
    )]
    #[param(example = "5678")]
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// A resident as staff find them, before adjusting their points.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentSummary {
    /// User id (what `POST /communities/{id}/points/adjustments` takes).
    pub user_id: i64,
    /// Masked name, e.g. `张*`.
    #[schema(example = "张*")]
    pub name: String,
    /// Masked phone, when bound.
    #[schema(example = "138****5678")]
    pub phone: Option<String>,
    /// Grid of their (newest) approved residence in the community, if placed in one.
    pub grid_id: Option<i64>,
    /// That grid's name.
    pub grid_name: Option<String>,
    /// Their points balance.
    pub balance: i64,
}

/// An application as its applicant and staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidenceView {
    /// Id.
    pub id: i64,
    /// Community.
    pub community_id: i64,
    /// Community name.
    pub community_name: String,
    /// Building.
    pub building: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
    /// `owner`, `tenant` or `family`.
    pub relation: ResidenceRelation,
    /// Declared floor area in m², owners only.
    pub floor_area_m2: Option<f64>,
    /// `pending`, `approved` or `rejected`.
    pub status: ResidenceStatus,
    /// Household, once approved.
    pub household_id: Option<i64>,
    /// The household's grid, or the grid suggested by the applicant's location.
    pub grid_id: Option<i64>,
    /// That grid's name.
    pub grid_name: Option<String>,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// When it was filed.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
    /// When staff decided.
    #[serde(with = "crate::time_format::option")]
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// Who applied, as staff see them: the phone is masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Applicant {
    /// User id.
    pub id: i64,
    /// Display name, masked like `张*` (staff lists name people masked, as everywhere).
    #[schema(example = "张*")]
    pub nickname: String,
    /// Phone, masked like `138****5678`, when the user bound one.
    #[schema(example = "138****5678")]
    pub phone: Option<String>,
}

/// An application in the staff review list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidenceReview {
    /// The application.
    #[serde(flatten)]
    pub residence: ResidenceView,
    /// Who applied.
    pub applicant: Applicant,
}

/// Normalises a building, unit or room: full-width ASCII forms become ASCII, letters
/// upper case, whitespace trimmed and collapsed, so `１栋` and `1栋` are one address.
pub fn normalize_address_part(raw: &str) -> String {
    let folded: String = raw
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Converts m² (at most 2 decimals, checked before) to integer dm².
fn m2_to_dm2(m2: f64) -> i64 {
    (m2 * 100.0).round() as i64
}

/// Converts stored dm² back to m².
pub fn dm2_to_m2(dm2: i64) -> f64 {
    dm2 as f64 / 100.0
}

fn field_error(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

fn valid_address_part(value: &str) -> Result<(), ValidationError> {
    crate::text::name(value)?;
    let normalized = normalize_address_part(value);
    match normalized.chars().count() {
        0 => Err(field_error("length", "不能为空")),
        n if n > ADDRESS_PART_MAX => Err(field_error("length", "不能超过 32 个字")),
        _ => Ok(()),
    }
}

pub(crate) fn valid_reason(value: &str) -> Result<(), ValidationError> {
    crate::text::multi_line(value)?;
    match value.trim().chars().count() {
        _ if crate::text::visible(value).is_err() => Err(field_error("length", "请填写驳回原因")),
        n if n > REASON_MAX => Err(field_error("length", "驳回原因不能超过 200 个字")),
        _ => Ok(()),
    }
}

fn at_most_two_decimals(value: f64) -> Result<(), ValidationError> {
    let cents = value * 100.0;
    if (cents - cents.round()).abs() > 1e-6 {
        return Err(field_error("decimals", "面积最多保留两位小数"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_become_ascii() {
        assert_eq!(normalize_address_part("１栋"), "1栋");
        assert_eq!(normalize_address_part("Ａ座"), "A座");
        assert_eq!(normalize_address_part("１２０１ａ"), "1201A");
    }

    #[test]
    fn whitespace_is_trimmed_and_collapsed() {
        assert_eq!(normalize_address_part("  3 \u{3000} 栋 "), "3 栋");
    }

    #[test]
    fn floor_area_is_kept_exactly_in_square_decimetres() {
        assert_eq!(m2_to_dm2(89.57), 8957);
        assert_eq!(m2_to_dm2(0.29 * 100.0), 2900);
        assert_eq!(dm2_to_m2(8957), 89.57);
    }

    #[test]
    fn more_than_two_decimals_are_refused() {
        assert!(at_most_two_decimals(89.57).is_ok());
        assert!(at_most_two_decimals(120.0).is_ok());
        assert!(at_most_two_decimals(89.575).is_err());
    }

    #[test]
    fn an_address_part_of_only_spaces_is_empty() {
        assert!(valid_address_part(" \u{3000} ").is_err());
        assert!(valid_address_part(&"栋".repeat(33)).is_err());
        assert!(valid_address_part(&"栋".repeat(32)).is_ok());
    }
}
