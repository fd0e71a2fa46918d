//! Accounts: password hashing, tokens, and the login-failure policy. Storage is in `store::users`.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::domain::NationalCode;
use crate::domain::digits::to_ascii_digits;

/// Failed logins before the account is locked.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// From this many failures on, each answer is delayed to slow down guessing.
pub const SLOW_DOWN_AFTER: i64 = 2;
/// How long a login session lasts.
pub const SESSION_HOURS: i64 = 12;
/// How long an API client's token lasts.
pub const API_TOKEN_DAYS: i64 = 365;
/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid params"),
    )
}

/// Hashes a password with argon2id (tens of milliseconds: call it off the async workers).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS has randomness");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes encode");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes")
        .to_string()
}

/// Checks a password against a stored hash; `None` = the initial password, which is `initial`.
///
/// The initial password is the national code, read as the username is: Persian or Arabic-Indic
/// digits, spaces and dashes are accepted. A chosen password is compared exactly as typed: it is
/// the holder's own secret, and rewriting it would make distinct passwords equal.
pub fn verify_password(password: &str, stored: Option<&str>, initial: Option<&str>) -> bool {
    match (stored, initial) {
        (Some(hash), _) => PasswordHash::new(hash)
            .is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok()),
        (None, Some(initial)) => {
            let typed = NationalCode::parse(password)
                .map(|c| c.as_str().to_string())
                .unwrap_or_else(|_| to_ascii_digits(password));
            constant_time_eq(typed.as_bytes(), initial.as_bytes())
        }
        (None, None) => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token (what the client keeps) and its SHA-256 (what the database keeps).
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Why a new password is refused.
pub fn password_problem(
    password: &str,
    username: &str,
    national_code: Option<&str>,
) -> Option<(&'static str, &'static str)> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Some((
            "گذرواژه باید دست‌کم ۱۰ نویسه باشد",
            "the password must have at least 10 characters",
        ));
    }
    if password == username || Some(password) == national_code {
        return Some((
            "گذرواژه نباید نام کاربری یا کد ملی باشد",
            "the password must not be the username or the national code",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse battery");
        let b = hash_password("correct horse battery");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&a), None));
        assert!(!verify_password("wrong horse battery", Some(&a), None));
    }

    #[test]
    fn the_initial_password_is_the_national_code_until_changed() {
        assert!(verify_password("0076229645", None, Some("0076229645")));
        assert!(!verify_password("0076229646", None, Some("0076229645")));
        assert!(!verify_password("0076229645", None, None));
    }

    #[test]
    fn the_initial_password_may_be_typed_in_persian_or_arabic_indic_digits() {
        assert!(verify_password("۰۰۷۶۲۲۹۶۴۵", None, Some("0076229645")));
        assert!(verify_password("٠٠٧٦٢٢٩٦٤٥", None, Some("0076229645")));
        assert!(verify_password("007-622964-5", None, Some("0076229645")));
        assert!(!verify_password("۰۰۷۶۲۲۹۶۴۶", None, Some("0076229645")));
    }

    #[test]
    fn a_chosen_password_is_compared_as_typed() {
        let hash = hash_password("۱۲۳۴۵۶-secret");
        assert!(verify_password(
            "۱۲۳۴۵۶-secret",
            Some(&hash),
            Some("0076229645")
        ));
        assert!(!verify_password(
            "123456-secret",
            Some(&hash),
            Some("0076229645")
        ));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (t1, h1) = new_token();
        let (t2, _) = new_token();
        assert_ne!(t1, t2);
        assert_eq!(token_hash(&t1), h1);
        assert_eq!(t1.len(), 64);
    }
}
