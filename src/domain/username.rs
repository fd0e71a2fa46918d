//! A username: the one rule for creating, renaming and signing in, so an account can always sign
//! in with the name it was created under, typed as people type it.

use std::fmt;

use super::NationalCode;
use super::digits::to_ascii_digits;

/// A username: 3 to 64 Latin letters, digits and `. _ - @`, after normalization.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

/// Why text is not a username.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a username has 3 to 64 characters: Latin letters, digits and . _ - @")]
pub struct UsernameError;

impl Username {
    /// The text as it is stored and looked up: a national code typed with dashes or Persian
    /// digits becomes its ten digits; otherwise Persian and Arabic-Indic digits become ASCII and
    /// surrounding spaces go.
    pub fn normalize(text: &str) -> String {
        match NationalCode::parse(text) {
            Ok(code) => code.as_str().to_string(),
            Err(_) => to_ascii_digits(text.trim()),
        }
    }

    /// Normalizes `text` (see [`Username::normalize`]) and checks what is left.
    pub fn parse(text: &str) -> Result<Self, UsernameError> {
        let name = Self::normalize(text);
        let valid = (3..=64).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
        if valid {
            Ok(Username(name))
        } else {
            Err(UsernameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_digits_spaces_and_a_formatted_national_code_are_normalized_before_the_check() {
        assert_eq!(
            Username::parse(" reviewer۳ ").unwrap().as_str(),
            "reviewer3"
        );
        assert_eq!(
            Username::parse("۰۰۷۶۲۲۹۶۴۵").unwrap().as_str(),
            "0076229645"
        );
        assert_eq!(
            Username::parse("007-622964-5").unwrap().as_str(),
            "0076229645"
        );
        assert_eq!(
            Username::parse("office.tehran-1@x").unwrap().as_str(),
            "office.tehran-1@x"
        );
    }

    #[test]
    fn a_name_too_short_too_long_or_with_other_characters_is_refused() {
        let long = "a".repeat(65);
        for bad in [
            "",
            "ab",
            " ab ",
            long.as_str(),
            "two words",
            "کاربر",
            "a/b/c",
            "tab\tname",
        ] {
            assert_eq!(Username::parse(bad), Err(UsernameError), "{bad:?}");
        }
        assert!(Username::parse(&"a".repeat(64)).is_ok());
    }
}
