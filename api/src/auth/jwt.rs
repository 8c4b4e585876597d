//! Access tokens: HS256 JWTs, algorithm pinned, expiry checked against the server clock.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "linli";

/// What an access token carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// The user's token version when issued; bumping it revokes every access token.
    pub ver: i32,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
}

/// Keys and validation rules for access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    /// Keys from a shared secret.
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        // Expiry is checked against the server clock in `verify`.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.set_issuer(&[ISSUER]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// Signs an access token for a user.
    pub fn issue(
        &self,
        user_id: i64,
        ver: i32,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> String {
        let claims = Claims {
            sub: user_id.to_string(),
            ver,
            iat: now.timestamp(),
            exp: now.timestamp() + ttl.as_secs() as i64,
            iss: ISSUER.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// Verifies signature, algorithm, issuer and expiry; answers the user id and version.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<(i64, i32)> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        if data.claims.exp <= now.timestamp() {
            return None;
        }
        Some((data.claims.sub.parse().ok()?, data.claims.ver))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_expires() {
        let keys = JwtKeys::new("secret");
        let now = Utc::now();
        let token = keys.issue(7, 2, now, std::time::Duration::from_secs(60));
        assert_eq!(keys.verify(&token, now), Some((7, 2)));
        assert_eq!(
            keys.verify(&token, now + chrono::Duration::seconds(61)),
            None
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let now = Utc::now();
        let token = JwtKeys::new("other").issue(7, 0, now, std::time::Duration::from_secs(60));
        assert_eq!(JwtKeys::new("secret").verify(&token, now), None);
    }
}
