//! Password hashes: argon2id for new ones, argon2 or bcrypt accepted.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// Hashes a password with argon2id and its recommended parameters, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string()).map_err(|err| err.to_string())
}

/// A stored hash of a known kind.
#[derive(Clone)]
pub enum PasswordHash {
    /// `$argon2id$…` (or argon2i/argon2d), in PHC form.
    Argon2(String),
    /// `$2b$…` (or 2a/2y).
    Bcrypt(String),
}

impl PasswordHash {
    /// Recognises and checks the form of a stored hash.
    pub fn parse(hash: &str) -> Result<Self, String> {
        let hash = hash.trim();
        if hash.starts_with("$argon2") {
            argon2::password_hash::phc::PasswordHash::new(hash)
                .map_err(|err| format!("not a valid argon2 hash: {err}"))?;
            Ok(PasswordHash::Argon2(hash.to_owned()))
        } else if ["$2a$", "$2b$", "$2y$"].iter().any(|prefix| hash.starts_with(prefix)) && hash.len() == 60 {
            Ok(PasswordHash::Bcrypt(hash.to_owned()))
        } else {
            Err("not an argon2 or bcrypt hash; make one with `diun-dashboard hash-password`".into())
        }
    }

    /// Whether `password` matches. Slow on purpose: run it off the event loop.
    pub fn verify(&self, password: &str) -> bool {
        match self {
            PasswordHash::Argon2(hash) => Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok(),
            PasswordHash::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
        }
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hashes_verify() {
        let hash = PasswordHash::parse(&hash_password("correct horse").unwrap()).unwrap();
        assert!(hash.verify("correct horse"));
        assert!(!hash.verify("correct horse "));
    }

    #[test]
    fn bcrypt_hashes_verify() {
        let hash = PasswordHash::parse(&bcrypt::hash("battery staple", 4).unwrap()).unwrap();
        assert!(hash.verify("battery staple"));
        assert!(!hash.verify("battery"));
    }

    #[test]
    fn other_strings_are_refused() {
        assert!(PasswordHash::parse("plaintext").is_err());
        assert!(PasswordHash::parse("$argon2id$broken").is_err());
        assert!(PasswordHash::parse("$2b$10$short").is_err());
    }
}
