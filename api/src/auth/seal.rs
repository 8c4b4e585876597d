//! Sealing a rotated refresh token's successor, so that a client whose refresh answer was lost
//! (or that refreshed from several pages at once) gets the same successor again within the
//! reuse grace. Refresh tokens are stored only as hashes; the successor is the one token kept
//! recoverable, encrypted (ChaCha20-Poly1305) under a key derived from the JWT secret and
//! bound to its two rows, and only honoured within the grace.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    ChaCha20Poly1305, Key, Nonce,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Domain separation: this key is never the HMAC key of access tokens.
const LABEL: &[u8] = b"linli/refresh-successor-seal/v1\0";
const NONCE_LEN: usize = 12;

/// Seals and opens successor refresh tokens; the key never leaves it.
pub struct SuccessorSeal {
    cipher: ChaCha20Poly1305,
}

impl SuccessorSeal {
    /// A key derived from the JWT secret: SHA-256 of a label and the secret.
    pub fn new(secret: &str) -> Self {
        let key = Sha256::new()
            .chain_update(LABEL)
            .chain_update(secret.as_bytes())
            .finalize();
        SuccessorSeal {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        }
    }

    /// Seals the successor of row `from` (the successor's row is `to`): base64 of nonce and
    /// ciphertext.
    pub fn seal(&self, from: i64, to: i64, successor: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = aad(from, to);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: successor.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("ChaCha20-Poly1305 sealing cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens what `seal` made for the same rows; `None` when it was altered, moved to other
    /// rows or sealed under another secret.
    pub fn open(&self, from: i64, to: i64, sealed: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let aad = aad(from, to);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

fn aad(from: i64, to: i64) -> [u8; 16] {
    let mut aad = [0u8; 16];
    aad[..8].copy_from_slice(&from.to_be_bytes());
    aad[8..].copy_from_slice(&to.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_successor_opens_only_for_its_rows_and_its_secret() {
        let seal = SuccessorSeal::new("secret");
        let sealed = seal.seal(1, 2, "successor-token");
        assert!(!sealed.contains("successor-token"));
        assert_eq!(seal.open(1, 2, &sealed).as_deref(), Some("successor-token"));
        assert_eq!(seal.open(1, 3, &sealed), None);
        assert_eq!(seal.open(2, 2, &sealed), None);
        assert_eq!(SuccessorSeal::new("other").open(1, 2, &sealed), None);
        assert_eq!(seal.open(1, 2, "AAAA"), None);
        assert_ne!(sealed, seal.seal(1, 2, "successor-token"), "fresh nonce");
    }
}
