//! Endpoint secrets at rest: sealed with ChaCha20-Poly1305 under a key from configuration, so a
//! database dump does not hand out every endpoint's signing secret.
//!
//! The configuration is a key ring, so keys can be rotated without losing stored secrets:
//! `[<id>:]<base64 of 32 bytes>[,[<id>:]<base64>...]`. The first key is the current one and
//! seals every new write; the others only open what they sealed. A key without an id gets one
//! derived from the key (`k` + 8 hex digits of its SHA-256), stable across restarts.
//! `hookd reseal` re-encrypts old rows with the current key, after which the old keys can go.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Sealed before key ids existed: `enc:v1:` + base64(nonce ‖ ciphertext ‖ tag).
const SEALED_V1: &str = "enc:v1:";
/// `enc:v2:<key id>:` + base64(nonce ‖ ciphertext ‖ tag).
const SEALED_V2: &str = "enc:v2:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AtRestError {
    #[error("the encryption key must be base64 of 32 bytes, optionally `<id>:` before it")]
    BadKey,
    #[error("encryption key ids must be unique, made of letters, digits, `-` and `_`: `{0}`")]
    BadKeyId(String),
    #[error("a stored secret is sealed but no encryption key is configured")]
    NoKey,
    #[error("a stored secret is sealed with encryption key `{0}`, which is not configured")]
    UnknownKey(String),
    #[error("a stored secret cannot be opened with the configured key")]
    Corrupt,
}

struct RingKey {
    id: String,
    aead: ChaCha20Poly1305,
}

/// Seals and opens stored secrets. Without a key it stores them as they are (development).
#[derive(Clone)]
pub struct SecretCipher {
    /// The current key first; empty when sealing is off.
    keys: std::sync::Arc<[RingKey]>,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        write!(f, "SecretCipher(keys: {ids:?})")
    }
}

impl SecretCipher {
    /// `key`: the key ring (see the module documentation), e.g. base64 of 32 random bytes
    /// (`openssl rand -base64 32`); `None` stores secrets in plaintext.
    pub fn new(key: Option<&str>) -> Result<Self, AtRestError> {
        let mut keys: Vec<RingKey> = Vec::new();
        for entry in key.into_iter().flat_map(|k| k.split(',')) {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let (id, encoded) = match entry.split_once(':') {
                Some((id, encoded)) => (Some(id.trim()), encoded.trim()),
                None => (None, entry),
            };
            let bytes = STANDARD.decode(encoded).map_err(|_| AtRestError::BadKey)?;
            if bytes.len() != 32 {
                return Err(AtRestError::BadKey);
            }
            let id = match id {
                Some(id) => id.to_owned(),
                None => {
                    let digest = Sha256::digest(&bytes);
                    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                    format!("k{hex}")
                }
            };
            let valid = !id.is_empty()
                && id.len() <= 32
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid || keys.iter().any(|k| k.id == id) {
                return Err(AtRestError::BadKeyId(id));
            }
            keys.push(RingKey {
                id,
                aead: ChaCha20Poly1305::new(Key::from_slice(&bytes)),
            });
        }
        Ok(Self { keys: keys.into() })
    }

    pub fn seals(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Id of the key new writes are sealed with.
    pub fn current_key_id(&self) -> Option<&str> {
        self.keys.first().map(|k| k.id.as_str())
    }

    /// Ids of every configured key, the current one first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// The stored form of `secret`: `enc:v2:<key id>:` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, secret: &str) -> String {
        let Some(key) = self.keys.first() else {
            return secret.to_owned();
        };
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .aead
            .encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
            .expect("ChaCha20-Poly1305 encryption does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED_V2}{}:{}", key.id, STANDARD.encode(out))
    }

    /// The secret from its stored form, with whichever configured key sealed it; values stored
    /// before sealing was enabled pass through.
    pub fn open(&self, stored: &str) -> Result<String, AtRestError> {
        if let Some(rest) = stored.strip_prefix(SEALED_V2) {
            let (id, encoded) = rest.split_once(':').ok_or(AtRestError::Corrupt)?;
            if self.keys.is_empty() {
                return Err(AtRestError::NoKey);
            }
            let key = self
                .keys
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| AtRestError::UnknownKey(id.to_owned()))?;
            return open_with(&key.aead, encoded);
        }
        let Some(encoded) = stored.strip_prefix(SEALED_V1) else {
            return Ok(stored.to_owned());
        };
        if self.keys.is_empty() {
            return Err(AtRestError::NoKey);
        }
        // No id was recorded: the AEAD tag tells which key it was.
        self.keys
            .iter()
            .find_map(|k| open_with(&k.aead, encoded).ok())
            .ok_or(AtRestError::Corrupt)
    }

    /// Whether `stored` is already in the form a write would give it now: sealed with the
    /// current key (or plaintext when sealing is off).
    pub fn is_current(&self, stored: &str) -> bool {
        match self.current_key_id() {
            None => !stored.starts_with(SEALED_V1) && !stored.starts_with(SEALED_V2),
            Some(id) => stored
                .strip_prefix(SEALED_V2)
                .and_then(|rest| rest.split_once(':'))
                .is_some_and(|(sealed_with, _)| sealed_with == id),
        }
    }

    /// `stored` re-encrypted with the current key, or `None` when it already is.
    pub fn reseal(&self, stored: &str) -> Result<Option<String>, AtRestError> {
        if self.is_current(stored) {
            return Ok(None);
        }
        Ok(Some(self.seal(&self.open(stored)?)))
    }
}

fn open_with(aead: &ChaCha20Poly1305, encoded: &str) -> Result<String, AtRestError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes

    fn other_key() -> String {
        STANDARD.encode([7u8; 32])
    }

    /// What the cipher before key ids wrote: `enc:v1:` + base64(nonce ‖ ciphertext ‖ tag).
    fn sealed_v1(key: &str, secret: &str) -> String {
        let aead = ChaCha20Poly1305::new(Key::from_slice(&STANDARD.decode(key).unwrap()));
        let nonce = [3u8; 12];
        let mut out = nonce.to_vec();
        out.extend(
            aead.encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
                .unwrap(),
        );
        format!("enc:v1:{}", STANDARD.encode(out))
    }

    #[test]
    fn seals_and_opens() {
        let c = SecretCipher::new(Some(KEY)).unwrap();
        let sealed = c.seal("whsec_abc");
        let id = c.current_key_id().unwrap();
        assert!(sealed.starts_with(&format!("enc:v2:{id}:")), "{sealed}");
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(sealed, c.seal("whsec_abc"), "nonces differ");
        assert_eq!(c.open(&sealed).unwrap(), "whsec_abc");
        assert_eq!(c.open("whsec_plain").unwrap(), "whsec_plain");
    }

    #[test]
    fn a_key_without_an_id_gets_a_stable_one() {
        let a = SecretCipher::new(Some(KEY)).unwrap();
        let b = SecretCipher::new(Some(&format!(" {KEY} "))).unwrap();
        assert_eq!(a.current_key_id(), b.current_key_id());
        assert_ne!(
            a.current_key_id(),
            SecretCipher::new(Some(&other_key()))
                .unwrap()
                .current_key_id()
        );
        let named = SecretCipher::new(Some(&format!("2026-11:{KEY}"))).unwrap();
        assert_eq!(named.current_key_id(), Some("2026-11"));
        assert!(named.seal("whsec_x").starts_with("enc:v2:2026-11:"));
    }

    #[test]
    fn new_writes_use_the_current_key_and_old_ones_stay_readable() {
        let old = SecretCipher::new(Some(&format!("old:{KEY}"))).unwrap();
        let by_old = old.seal("whsec_old");
        let legacy = sealed_v1(KEY, "whsec_legacy");
        let ring = SecretCipher::new(Some(&format!("new:{},old:{KEY}", other_key()))).unwrap();
        assert_eq!(ring.key_ids(), ["new", "old"]);
        let by_new = ring.seal("whsec_new");
        assert!(by_new.starts_with("enc:v2:new:"), "{by_new}");
        assert_eq!(ring.open(&by_old).unwrap(), "whsec_old");
        assert_eq!(ring.open(&legacy).unwrap(), "whsec_legacy");
        assert_eq!(ring.open(&by_new).unwrap(), "whsec_new");
        // The old key alone cannot read what the new one sealed, and says which key is missing.
        assert_eq!(
            old.open(&by_new),
            Err(AtRestError::UnknownKey("new".into()))
        );
    }

    #[test]
    fn reseal_moves_everything_to_the_current_key() {
        let ring = SecretCipher::new(Some(&format!("new:{},old:{KEY}", other_key()))).unwrap();
        let by_old = SecretCipher::new(Some(&format!("old:{KEY}")))
            .unwrap()
            .seal("whsec_a");
        for stored in [by_old, sealed_v1(KEY, "whsec_a"), "whsec_a".to_owned()] {
            assert!(!ring.is_current(&stored), "{stored}");
            let resealed = ring.reseal(&stored).unwrap().expect("resealed");
            assert!(resealed.starts_with("enc:v2:new:"), "{resealed}");
            assert!(ring.is_current(&resealed));
            assert_eq!(ring.reseal(&resealed).unwrap(), None, "already current");
            let new_only = SecretCipher::new(Some(&other_key())).unwrap();
            let new_only_named = SecretCipher::new(Some(&format!("new:{}", other_key()))).unwrap();
            assert_eq!(new_only_named.open(&resealed).unwrap(), "whsec_a");
            assert!(
                new_only.open(&resealed).is_err(),
                "the id is part of the form"
            );
        }
    }

    #[test]
    fn refuses_wrong_keys_and_tampering() {
        let c = SecretCipher::new(Some(KEY)).unwrap();
        let sealed = c.seal("whsec_abc");
        let same_id_other_key = SecretCipher::new(Some(&format!(
            "{}:{}",
            c.current_key_id().unwrap(),
            other_key()
        )))
        .unwrap();
        assert_eq!(same_id_other_key.open(&sealed), Err(AtRestError::Corrupt));
        assert_eq!(
            SecretCipher::new(Some(&other_key()))
                .unwrap()
                .open(&sealed_v1(KEY, "whsec_abc")),
            Err(AtRestError::Corrupt)
        );
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
        assert!(matches!(
            SecretCipher::new(Some(&format!("a:{KEY},a:{}", other_key()))),
            Err(AtRestError::BadKeyId(_))
        ));
        assert!(matches!(
            SecretCipher::new(Some(&format!("a b:{KEY}"))),
            Err(AtRestError::BadKeyId(_))
        ));
    }

    #[test]
    fn without_a_key_secrets_pass_through() {
        let c = SecretCipher::new(None).unwrap();
        assert_eq!(c.seal("whsec_x"), "whsec_x");
        assert!(!c.seals());
        assert!(c.is_current("whsec_x"));
    }
}
