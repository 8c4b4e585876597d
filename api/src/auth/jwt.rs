//! Access tokens: HS256 JWTs, algorithm pinned, expiry checked against the server clock.

use anyhow::Context;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::seal::SuccessorSeal;

const ISSUER: &str = "linli";

/// What an access token carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// The user's token version when issued; bumping it revokes every access token.
    pub ver: i32,
    /// The session (refresh-token family) the token belongs to; ending it revokes the token.
    pub sid: i64,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
}

/// What a verified access token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenClaims {
    /// The user.
    pub user_id: i64,
    /// The user's token version when issued.
    pub version: i32,
    /// The session.
    pub session_id: i64,
}

/// Why an access token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRejected {
    /// Signed by us with the pinned algorithm and issuer, but past its `exp` by the server
    /// clock: the client should refresh.
    Expired,
    /// Anything else (bad signature, algorithm, issuer or claims): the client should log in.
    Invalid,
}

impl From<TokenRejected> for crate::error::ApiError {
    fn from(rejected: TokenRejected) -> Self {
        match rejected {
            TokenRejected::Expired => Self::token_expired(),
            TokenRejected::Invalid => Self::unauthorized(),
        }
    }
}

/// What issuing tokens needs: the access-token keys, the lifetimes of both tokens, and the
/// seal of rotated refresh tokens' successors with its grace.
pub struct Tokens {
    /// Signs and checks access tokens.
    pub keys: JwtKeys,
    /// Lifetime of an access token.
    pub access_ttl: std::time::Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: chrono::Duration,
    /// How long a rotated refresh token still answers with its successor; zero: never.
    pub reuse_grace: chrono::Duration,
    /// Seals successors for that grace (key derived from the secret).
    pub seal: SuccessorSeal,
}

impl Tokens {
    /// Keys from the secret, with the lifetimes and the reuse grace.
    pub fn new(
        secret: &str,
        access_ttl: std::time::Duration,
        refresh_ttl: std::time::Duration,
        reuse_grace: std::time::Duration,
    ) -> anyhow::Result<Self> {
        Ok(Tokens {
            keys: JwtKeys::new(secret).context("LINLI_JWT_SECRET cannot be an HMAC key")?,
            access_ttl,
            refresh_ttl: chrono::Duration::from_std(refresh_ttl)?,
            reuse_grace: chrono::Duration::from_std(reuse_grace)?,
            seal: SuccessorSeal::new(secret),
        })
    }
}

/// Keys and validation rules for access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    /// Keys from a shared secret (kept inside the keys, never printed); an empty secret is
    /// refused.
    pub fn new(secret: &str) -> jsonwebtoken::errors::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        // Expiry is checked against the server clock in `verify`.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.set_issuer(&[ISSUER]);
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes())?,
            decoding: DecodingKey::from_secret(secret.as_bytes())?,
            validation,
        })
    }

    /// Signs an access token for a user.
    pub fn issue(
        &self,
        token: TokenClaims,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> String {
        let claims = Claims {
            sub: token.user_id.to_string(),
            ver: token.version,
            sid: token.session_id,
            iat: now.timestamp(),
            exp: now.timestamp() + ttl.as_secs() as i64,
            iss: ISSUER.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// Verifies signature, algorithm, issuer and claims, then expiry (only a token that passes
    /// everything else can be `Expired`); answers what the token says.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<TokenClaims, TokenRejected> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenRejected::Invalid)?;
        let claims = TokenClaims {
            user_id: data
                .claims
                .sub
                .parse()
                .map_err(|_| TokenRejected::Invalid)?,
            version: data.claims.ver,
            session_id: data.claims.sid,
        };
        if data.claims.exp <= now.timestamp() {
            return Err(TokenRejected::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIMS: TokenClaims = TokenClaims {
        user_id: 7,
        version: 2,
        session_id: 11,
    };

    #[test]
    fn a_token_verifies_until_it_expires_then_says_so() {
        let keys = JwtKeys::new("secret").unwrap();
        let now = Utc::now();
        let token = keys.issue(CLAIMS, now, std::time::Duration::from_secs(60));
        assert_eq!(keys.verify(&token, now), Ok(CLAIMS));
        assert_eq!(
            keys.verify(&token, now + chrono::Duration::seconds(61)),
            Err(TokenRejected::Expired)
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid_even_when_expired() {
        let now = Utc::now();
        let token =
            JwtKeys::new("other")
                .unwrap()
                .issue(CLAIMS, now, std::time::Duration::from_secs(60));
        let keys = JwtKeys::new("secret").unwrap();
        assert_eq!(keys.verify(&token, now), Err(TokenRejected::Invalid));
        let later = now + chrono::Duration::seconds(61);
        assert_eq!(keys.verify(&token, later), Err(TokenRejected::Invalid));
    }
}
