//! Password hashes: argon2id for new ones, argon2 or bcrypt accepted.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

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

    /// A hash of a throwaway password with the same algorithm and cost as
    /// this one. Checking an unknown user's password against it takes as long
    /// as checking a known user's, so the answer time does not tell which
    /// user names exist. Its result must be ignored.
    pub fn decoy(&self) -> Result<PasswordHash, String> {
        const THROWAWAY: &str = "not a password anyone has";
        match self {
            PasswordHash::Argon2(hash) => {
                let parsed = argon2::password_hash::phc::PasswordHash::new(hash).map_err(|err| err.to_string())?;
                let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|err| err.to_string())?;
                let version = parsed.version.map_or(Ok(Version::default()), Version::try_from);
                let params = Params::try_from(&parsed).map_err(|err| err.to_string())?;
                let hasher = Argon2::new(algorithm, version.map_err(|err| err.to_string())?, params);
                let decoy = hasher.hash_password(THROWAWAY.as_bytes()).map_err(|err| err.to_string())?;
                Ok(PasswordHash::Argon2(decoy.to_string()))
            }
            PasswordHash::Bcrypt(hash) => {
                // `$2b$12$…`: the cost is the two digits after the version.
                let cost = hash.get(4..6).and_then(|cost| cost.parse().ok()).ok_or("a bcrypt hash without a cost")?;
                bcrypt::hash(THROWAWAY, cost).map(PasswordHash::Bcrypt).map_err(|err| err.to_string())
            }
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
    fn decoys_cost_the_same() {
        let argon2 = "$argon2id$v=19$m=8192,t=3,p=2$c29tZXNhbHRzb21lc2FsdA$c2/IBBAiYy7Vkix9zAqGy60tOl7ph4z1DGtpnTj+BFE";
        let decoy = PasswordHash::parse(argon2).unwrap().decoy().unwrap();
        let PasswordHash::Argon2(decoy) = decoy else { panic!("argon2 in, argon2 out") };
        assert!(decoy.starts_with("$argon2id$v=19$m=8192,t=3,p=2$"), "{decoy}");
        assert_ne!(decoy, argon2);
        let bcrypt = PasswordHash::parse(&bcrypt::hash("x", 5).unwrap()).unwrap();
        let PasswordHash::Bcrypt(decoy) = bcrypt.decoy().unwrap() else { panic!("bcrypt in, bcrypt out") };
        assert!(decoy.starts_with("$2b$05$") && decoy.len() == 60, "{decoy}");
    }

    #[test]
    fn other_strings_are_refused() {
        assert!(PasswordHash::parse("plaintext").is_err());
        assert!(PasswordHash::parse("$argon2id$broken").is_err());
        assert!(PasswordHash::parse("$2b$10$short").is_err());
    }
}
