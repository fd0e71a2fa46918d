//! Accounts: password hashing, tokens, and the login-failure policy. Storage is in `store::users`.

use std::cell::RefCell;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use sha2::{Digest, Sha256};

use crate::domain::NationalCode;
use crate::domain::digits::to_ascii_digits;

/// The outcome of claiming a login attempt before its password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginClaim {
    /// Check the password; a wrong one is already counted as the `failures`th in a row, and locked
    /// the account until `locked_until` if that reached the limit.
    Granted {
        failures: i64,
        locked_until: Option<i64>,
    },
    /// The account is locked until then: do not check the password.
    Locked { until: i64 },
}

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

thread_local! {
    /// argon2's working memory, kept by each thread that hashes and reused by its next hash.
    /// Allocating the 19 MiB afresh for every hash left the allocator holding about 15 MB more
    /// after each one (a login flood measured 229 MB after 14 hashes on one thread).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `argon` over the calling thread's kept working memory.
fn hash_into(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    MEMORY.with_borrow_mut(|blocks| {
        let needed = argon.params().block_count();
        if blocks.len() < needed {
            blocks.resize(needed, Block::default());
        }
        // Every block is written before it is read, so what an earlier hash left is harmless.
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// Hashes a password with argon2id (tens of milliseconds: call it off the async workers).
/// The answer is a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS has randomness");
    let argon = argon2();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hash_into(&argon, password.as_bytes(), &salt, &mut out).expect("argon2 hashes");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes encode");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).expect("valid params encode"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32 bytes are a valid output")),
    }
    .to_string()
}

/// Checks a password against a stored PHC hash, with the algorithm, version and parameters the
/// hash names; the comparison takes the same time wherever the outputs differ.
fn verify_hash(password: &[u8], stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) =
        (Algorithm::try_from(hash.algorithm), Params::try_from(&hash))
    else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    hash_into(
        &Argon2::new(algorithm, version, params),
        password,
        salt,
        &mut out,
    )
    .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Checks a password against a stored hash; `None` = the initial password, which is `initial`.
///
/// The initial password is the national code, read as the username is: Persian or Arabic-Indic
/// digits, spaces and dashes are accepted. A chosen password is compared exactly as typed: it is
/// the holder's own secret, and rewriting it would make distinct passwords equal.
pub fn verify_password(password: &str, stored: Option<&str>, initial: Option<&str>) -> bool {
    match (stored, initial) {
        (Some(hash), _) => verify_hash(password.as_bytes(), hash),
        (None, Some(initial)) => {
            let typed = NationalCode::parse(password)
                .map(|c| c.as_str().to_string())
                .unwrap_or_else(|_| to_ascii_digits(password));
            constant_time_eq(typed.as_bytes(), initial.as_bytes())
        }
        (None, None) => false,
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes in hex: a session or API token, or a form's CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    hex::encode(bytes)
}

/// A new random token (what the client keeps) and its SHA-256 (what the database keeps).
pub fn new_token() -> (String, String) {
    let token = random_token();
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
    fn hashes_agree_with_the_library_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Hashes stored before the working memory was kept must still verify, and the other way.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = argon2()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password(
            "correct horse battery",
            Some(&theirs),
            None
        ));
        assert!(!verify_password(
            "correct horse batterY",
            Some(&theirs),
            None
        ));
        let ours = hash_password("correct horse battery");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        // Other parameters named in a stored hash are used, on the same kept memory.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"another secret", &salt)
        .unwrap()
        .to_string();
        assert!(verify_password("another secret", Some(&small), None));
        assert!(!verify_password("another secreT", Some(&small), None));
        assert!(!verify_password("x", Some("$argon2id$v=19$garbage"), None));
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

    #[test]
    fn secrets_are_equal_only_when_every_byte_and_the_length_match() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"ab", b"abc"));
    }
}
