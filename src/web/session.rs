//! Cookies of the pages: the session (the API's session token, HttpOnly, SameSite=Strict), the
//! language, and the anonymous CSRF token of the sign-in form; and the per-session CSRF token.

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

pub const SESSION: &str = "arzyab_session";
pub const LOGIN_CSRF: &str = "arzyab_csrf";
pub const LANG: &str = "arzyab_lang";

/// The value of cookie `name`, if the request sent it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the request came over TLS (directly flagged, or through a proxy that says so).
pub fn over_tls(headers: &HeaderMap, cookie_secure: bool) -> bool {
    cookie_secure
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, for the whole site; `Secure` over TLS;
/// `max_age` in seconds (0 deletes it).
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("cookie names and values are ASCII")
}

/// The CSRF token of a session's forms: derived from the session's secret, so only a page the
/// session was served can carry it, and it ends with the session.
pub fn csrf_of(session_token: &str) -> String {
    hex::encode(Sha256::digest(format!("csrf:{session_token}")))
}

/// The page language: `?lang=` first, then the cookie, then Persian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Fa,
    En,
}

impl Lang {
    pub fn of(query: Option<&str>, headers: &HeaderMap) -> Lang {
        match query.or_else(|| cookie(headers, LANG)) {
            Some("en") => Lang::En,
            _ => Lang::Fa,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others_and_a_missing_one_is_none() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; arzyab_lang=en; b=2"),
        );
        assert_eq!(cookie(&h, LANG), Some("en"));
        assert_eq!(cookie(&h, SESSION), None);
        assert_eq!(Lang::of(None, &h), Lang::En);
        assert_eq!(Lang::of(Some("fa"), &h), Lang::Fa);
    }

    #[test]
    fn session_cookies_are_http_only_strict_and_secure_only_over_tls() {
        let plain = set_cookie(SESSION, "t", 60, false);
        let tls = set_cookie(SESSION, "t", 60, true);
        assert!(
            plain
                .to_str()
                .unwrap()
                .contains("HttpOnly; SameSite=Strict")
        );
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert!(tls.to_str().unwrap().ends_with("; Secure"));
        let mut h = HeaderMap::new();
        assert!(!over_tls(&h, false));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(over_tls(&h, false));
    }

    #[test]
    fn the_csrf_token_differs_per_session_and_comparison_needs_equal_tokens() {
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert_eq!(csrf_of("a"), csrf_of("a"));
        assert_ne!(csrf_of("a"), csrf_of("b"));
    }
}
