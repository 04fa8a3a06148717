//! Endpoint secrets at rest: sealed with ChaCha20-Poly1305 under a key from configuration, so a
//! database dump does not hand out every endpoint's signing secret.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

const SEALED_PREFIX: &str = "enc:v1:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AtRestError {
    #[error("the encryption key must be base64 of 32 bytes")]
    BadKey,
    #[error("a stored secret is sealed but no encryption key is configured")]
    NoKey,
    #[error("a stored secret cannot be opened with the configured key")]
    Corrupt,
}

/// Seals and opens stored secrets. Without a key it stores them as they are (development).
#[derive(Clone)]
pub struct SecretCipher {
    aead: Option<ChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretCipher(sealing: {})", self.aead.is_some())
    }
}

impl SecretCipher {
    /// `key`: base64 of 32 random bytes (`openssl rand -base64 32`), or `None` for plaintext.
    pub fn new(key: Option<&str>) -> Result<Self, AtRestError> {
        let aead = match key {
            None => None,
            Some(k) => {
                let bytes = STANDARD.decode(k.trim()).map_err(|_| AtRestError::BadKey)?;
                if bytes.len() != 32 {
                    return Err(AtRestError::BadKey);
                }
                Some(ChaCha20Poly1305::new(Key::from_slice(&bytes)))
            }
        };
        Ok(Self { aead })
    }

    pub fn seals(&self) -> bool {
        self.aead.is_some()
    }

    /// The stored form of `secret`: `enc:v1:` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, secret: &str) -> String {
        let Some(aead) = &self.aead else {
            return secret.to_owned();
        };
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = aead
            .encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
            .expect("ChaCha20-Poly1305 encryption does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", STANDARD.encode(out))
    }

    /// The secret from its stored form; values stored before sealing was enabled pass through.
    pub fn open(&self, stored: &str) -> Result<String, AtRestError> {
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_owned());
        };
        let aead = self.aead.as_ref().ok_or(AtRestError::NoKey)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| AtRestError::Corrupt)?;
        if bytes.len() < 12 {
            return Err(AtRestError::Corrupt);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = aead
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| AtRestError::Corrupt)?;
        String::from_utf8(plain).map_err(|_| AtRestError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes

    #[test]
    fn seals_and_opens() {
        let c = SecretCipher::new(Some(KEY)).unwrap();
        let sealed = c.seal("whsec_abc");
        assert!(sealed.starts_with("enc:v1:"));
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(sealed, c.seal("whsec_abc"), "nonces differ");
        assert_eq!(c.open(&sealed).unwrap(), "whsec_abc");
        assert_eq!(c.open("whsec_plain").unwrap(), "whsec_plain");
    }

    #[test]
    fn refuses_wrong_keys_and_tampering() {
        let c = SecretCipher::new(Some(KEY)).unwrap();
        let sealed = c.seal("whsec_abc");
        let other = SecretCipher::new(Some(&STANDARD.encode([7u8; 32]))).unwrap();
        assert_eq!(other.open(&sealed), Err(AtRestError::Corrupt));
        assert_eq!(
            SecretCipher::new(None).unwrap().open(&sealed),
            Err(AtRestError::NoKey)
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('A');
        assert!(c.open(&tampered).is_err());
        assert_eq!(
            SecretCipher::new(Some("short")).unwrap_err(),
            AtRestError::BadKey
        );
    }

    #[test]
    fn without_a_key_secrets_pass_through() {
        let c = SecretCipher::new(None).unwrap();
        assert_eq!(c.seal("whsec_x"), "whsec_x");
        assert!(!c.seals());
    }
}
