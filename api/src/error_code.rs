//! `ErrorCode`: every `code` an error response can carry, one enum, so that an unregistered
//! code does not compile and generated clients can switch on the document's `ErrorCode`
//! exhaustively. Each variant's doc line says when it is answered and is published in the
//! OpenAPI document (the schema's description and `x-enum-descriptions`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::openapi::{
    extensions::ExtensionsBuilder, schema::SchemaType, ObjectBuilder, RefOr, Schema, Type,
};

/// Declares `ErrorCode` with each variant's wire string and doc line, kept side by side.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $code:literal, )*) => {
        /// The stable snake_case `code` of an error response.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $(#[doc = $doc])+ $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the order the document lists them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// When the code is answered (the variant's doc line).
            pub fn when(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => concat!($($doc),+).trim(),)*
                }
            }
        }
    };
}

error_codes! {
    /// 400: the body is not valid JSON.
    InvalidJson = "invalid_json",
    /// 400: the body broke off before its end.
    InvalidBody = "invalid_body",
    /// 400: a `POST` asked for another method than `PATCH` with `X-HTTP-Method-Override`.
    MethodOverrideInvalid = "method_override_invalid",
    /// 400: a write that must be idempotent was sent without an `Idempotency-Key` header.
    IdempotencyKeyRequired = "idempotency_key_required",
    /// 400: the `Idempotency-Key` header is not 1 to 128 visible ASCII characters.
    IdempotencyKeyInvalid = "idempotency_key_invalid",
    /// 400: WeChat refused the login or phone code (40029, 40163), or a malformed mock code.
    WechatCodeInvalid = "wechat_code_invalid",
    /// 401: no token, a bad token, or an ended session: log in again.
    Unauthorized = "unauthorized",
    /// 401: a genuine access token past its expiry: refresh it.
    TokenExpired = "token_expired",
    /// 401: wrong username or password on the console login.
    InvalidCredentials = "invalid_credentials",
    /// 401: the refresh token is unknown, expired or revoked.
    InvalidRefreshToken = "invalid_refresh_token",
    /// 401: a rotated refresh token was presented again: the whole session is revoked.
    RefreshTokenReused = "refresh_token_reused",
    /// 403: the caller is logged in but lacks the role for this action.
    Forbidden = "forbidden",
    /// 403: nobody reviews, approves or adjusts for themselves.
    SelfReviewForbidden = "self_review_forbidden",
    /// 403: the account has been disabled.
    AccountDisabled = "account_disabled",
    /// 403: WeChat flags the account as risky (40226).
    WechatUserBlocked = "wechat_user_blocked",
    /// 403: the community's supermarket does not serve the caller (its `supermarket_policy`).
    NotAMember = "not_a_member",
    /// 403: the caller is not an approved volunteer of this community (register first, or wait for approval).
    NotAVolunteer = "not_a_volunteer",
    /// 403: the activity takes only other kinds of volunteers (its `kinds_allowed`).
    VolunteerKindNotAllowed = "volunteer_kind_not_allowed",
    /// 403: the caller has not signed up for this activity.
    NotSignedUp = "not_signed_up",
    /// 404: no such path, object, or an object outside the caller's scope.
    NotFound = "not_found",
    /// 404: the pickup code matches no redemption of this community.
    RedemptionCodeNotFound = "redemption_code_not_found",
    /// 405: the path does not serve this method (see the `Allow` header).
    MethodNotAllowed = "method_not_allowed",
    /// 408: the request body did not arrive in time.
    RequestTimeout = "request_timeout",
    /// 409: the name is already used by a sibling (district, street, community, grid).
    NameTaken = "name_taken",
    /// 409: the object still has dependants and cannot be deleted.
    InUse = "in_use",
    /// 409: the caller already has a pending or approved residence at this address.
    ResidenceExists = "residence_exists",
    /// 409: the residence application has already been decided or withdrawn.
    ResidenceNotPending = "residence_not_pending",
    /// 409: the caller already has a pending or approved registration of this kind with this community.
    RegistrationExists = "registration_exists",
    /// 409: the volunteer registration has already been decided.
    RegistrationNotPending = "registration_not_pending",
    /// 409: the caller has already checked in with this community today (Asia/Shanghai), or into this activity.
    AlreadyCheckedIn = "already_checked_in",
    /// 409: the activity has no place left.
    ActivityFull = "activity_full",
    /// 409: the caller has already signed up for this activity.
    AlreadySignedUp = "already_signed_up",
    /// 409: the activity has started: sign-ups and withdrawals are closed.
    ActivityStarted = "activity_started",
    /// 409: the activity has not started yet: no attendance to confirm.
    ActivityNotStarted = "activity_not_started",
    /// 409: the activity is over: it can no longer be cancelled.
    ActivityEnded = "activity_ended",
    /// 409: the activity was cancelled.
    ActivityCancelled = "activity_cancelled",
    /// 409: check-ins to the activity open 30 minutes before it starts and close when it ends (check-outs 2 hours after).
    ActivityNotOpen = "activity_not_open",
    /// 409: check out after checking in, once.
    NotCheckedIn = "not_checked_in",
    /// 409: the caller has already checked out of this activity.
    AlreadyCheckedOut = "already_checked_out",
    /// 409: the object changed since it was read (e.g. another staff member moved the activity); read it again and retry.
    EditConflict = "edit_conflict",
    /// 409: the check-in is not waiting for review (only `flagged` ones are confirmed or rejected).
    CheckinNotFlagged = "checkin_not_flagged",
    /// 409: the user already holds this role in this scope.
    RoleAlreadyAssigned = "role_already_assigned",
    /// 409: the last platform admin cannot be removed.
    LastPlatformAdmin = "last_platform_admin",
    /// 409: not enough points; `details.balance` gives the current balance.
    InsufficientPoints = "insufficient_points",
    /// 409: the goods are no longer on the shelf.
    GoodsUnavailable = "goods_unavailable",
    /// 409: not enough stock for this quantity.
    OutOfStock = "out_of_stock",
    /// 409: the monthly redemption limit of this goods item is reached.
    LimitReached = "limit_reached",
    /// 409: the redemption is already fulfilled, cancelled or expired.
    RedemptionNotPending = "redemption_not_pending",
    /// 409: the redemption has already been verified.
    AlreadyFulfilled = "already_fulfilled",
    /// 409: the redemption was cancelled.
    RedemptionCancelled = "redemption_cancelled",
    /// 409: the redemption expired (its points were refunded).
    RedemptionExpired = "redemption_expired",
    /// 409: the first request with this `Idempotency-Key` is still running.
    IdempotencyRequestInProgress = "idempotency_request_in_progress",
    /// 413: the body (or the uploaded file) is too large.
    PayloadTooLarge = "payload_too_large",
    /// 415: the body is not `application/json`.
    UnsupportedMediaType = "unsupported_media_type",
    /// 422: invalid input; every invalid field (and undocumented query parameter) is named under `fields`.
    ValidationFailed = "validation_failed",
    /// 422: the `Idempotency-Key` was already used for a different request.
    IdempotencyKeyReused = "idempotency_key_reused",
    /// 422: the upload is not a JPEG, PNG or WebP picture, or its data is broken.
    UnsupportedImage = "unsupported_image",
    /// 422: the location is outside the community's check-in area; `details.distance_m` gives the distance from its centre.
    OutsideGeofence = "outside_geofence",
    /// 422: the on-site code is missing (the community requires it), wrong, stale or of another community.
    CheckinCodeInvalid = "checkin_code_invalid",
    /// 422: the location's reported accuracy is over 200 m; scan the on-site code to check in.
    LocationTooCoarse = "location_too_coarse",
    /// 422: the picture's dimensions are over the limit (pixels or side length).
    ImageTooLarge = "image_too_large",
    /// 429: too many requests for now; `Retry-After` says when to retry.
    RateLimited = "rate_limited",
    /// 429: WeChat limits logins for now (45011); `Retry-After` says when to retry.
    WechatRateLimited = "wechat_rate_limited",
    /// 500: an unexpected failure on the server.
    InternalError = "internal_error",
    /// 502: WeChat answered something unexpected.
    WechatError = "wechat_error",
    /// 503: the database is busy or unreachable; retry after `Retry-After`.
    ServiceBusy = "service_busy",
    /// 503: WeChat is busy or timed out; retry after `Retry-After`.
    WechatUnavailable = "wechat_unavailable",
    /// 503: no free pickup code right now; retry with the same `Idempotency-Key`.
    PickupCodesExhausted = "pickup_codes_exhausted",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        let list: String = ErrorCode::ALL
            .iter()
            .map(|c| format!("\n- `{}`: {}", c.as_str(), c.when()))
            .collect();
        let description = format!(
            "The stable `code` of an error response. Switch on it, never on `message` (for \
             people) or on the status alone; treat a code you do not know as its status \
             family.{list}"
        );
        // One extension only: utoipa keeps them in a hash map, so several would come out in
        // a different order on each run and the committed document would drift.
        let extensions = ExtensionsBuilder::new()
            .add(
                "x-enum-descriptions",
                ErrorCode::ALL.iter().map(|c| c.when()).collect::<Vec<_>>(),
            )
            .build();
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(description))
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .extensions(Some(extensions))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_the_string_the_document_lists_and_back() {
        let doc = serde_json::to_value(crate::openapi::document()).unwrap();
        let listed = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        let listed: Vec<&str> = listed
            .as_array()
            .expect("the document lists ErrorCode")
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(listed.len(), ErrorCode::ALL.len());
        for (code, listed) in ErrorCode::ALL.iter().zip(listed) {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, listed, "{code:?}");
            assert_eq!(code.as_str(), listed);
            let back: ErrorCode = serde_json::from_value(wire).unwrap();
            assert_eq!(back, *code);
            assert!(!code.when().is_empty());
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        assert!(ErrorCode::ALL.iter().all(|c| seen.insert(c.as_str())));
    }
}
