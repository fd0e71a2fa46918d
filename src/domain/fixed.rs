//! `Fixed`: exact decimal numbers for inputs, points and totals.
//!
//! Scores must be reproducible to the last digit on every machine, so the engine never compares raw
//! floats. Every number is an `i64` count of ten-thousandths (four decimal places), which covers any
//! realistic area, head-count or point value with room to spare.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A signed decimal with exactly four fractional digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fixed(i64);

/// How a value with more decimals than wanted is brought to fewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// 2.345 → 2.35, −2.345 → −2.35 (what people expect from school).
    HalfUp,
    /// Banker's rounding: 2.345 → 2.34, 2.355 → 2.36.
    HalfEven,
    /// Truncate toward zero: 2.349 → 2.34.
    Down,
}

/// Why a text or float could not become a `Fixed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixedError {
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("`{0}` has more than four decimal places")]
    TooPrecise(String),
    #[error("`{0}` is too large")]
    OutOfRange(String),
}

impl Fixed {
    /// Number of fractional digits.
    pub const DECIMALS: u32 = 4;
    /// `10^DECIMALS`: the raw value of 1.
    pub const SCALE: i64 = 10_000;
    pub const ZERO: Fixed = Fixed(0);
    pub const ONE: Fixed = Fixed(Self::SCALE);
    pub const MAX: Fixed = Fixed(i64::MAX);
    pub const MIN: Fixed = Fixed(i64::MIN);

    /// Builds from a raw count of ten-thousandths.
    pub const fn from_raw(raw: i64) -> Self {
        Fixed(raw)
    }

    /// The raw count of ten-thousandths.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// A whole number.
    pub const fn from_int(n: i64) -> Self {
        Fixed(n.saturating_mul(Self::SCALE))
    }

    /// From a float written by a person (YAML, JSON): exact as long as it has at most four decimals.
    pub fn from_f64(f: f64) -> Result<Self, FixedError> {
        if !f.is_finite() {
            return Err(FixedError::NotANumber(f.to_string()));
        }
        let scaled = f * Self::SCALE as f64;
        if scaled.abs() >= 9.0e18 {
            return Err(FixedError::OutOfRange(f.to_string()));
        }
        let rounded = scaled.round();
        // A value written with at most four decimals lands within float noise of a whole number of
        // ten-thousandths; anything further off had a fifth decimal.
        if (scaled - rounded).abs() > 1e-3 {
            return Err(FixedError::TooPrecise(f.to_string()));
        }
        Ok(Fixed(rounded as i64))
    }

    /// Exact conversion from a Rhai/`rust_decimal` value, rounding half away from zero to four places.
    pub fn from_decimal(d: Decimal) -> Result<Self, FixedError> {
        let rounded = d.round_dp_with_strategy(
            Self::DECIMALS,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        let mantissa = rounded.mantissa();
        let scale = rounded.scale();
        let raw = mantissa
            .checked_mul(10i128.pow(Self::DECIMALS - scale.min(Self::DECIMALS)))
            .and_then(|m| i64::try_from(m).ok())
            .ok_or_else(|| FixedError::OutOfRange(d.to_string()))?;
        Ok(Fixed(raw))
    }

    /// The same value as a `rust_decimal::Decimal` (exact).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, Self::DECIMALS)
    }

    /// The whole part if the value has no fraction.
    pub fn to_int(self) -> Option<i64> {
        (self.0 % Self::SCALE == 0).then_some(self.0 / Self::SCALE)
    }

    /// Exact product rounded half away from zero to four places (saturating at the extremes).
    /// Not `std::ops::Mul`: the rounding and saturation should be visible where it is used.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, other: Fixed) -> Fixed {
        if other.0 == Self::SCALE {
            return self;
        }
        // Fast path in 64 bits; the 128-bit path only when the product would overflow.
        if let Some(p) = self.0.checked_mul(other.0) {
            let (q, r) = (p / Self::SCALE, p % Self::SCALE);
            return Fixed(if 2 * r.abs() >= Self::SCALE {
                q + p.signum()
            } else {
                q
            });
        }
        let wide = self.0 as i128 * other.0 as i128;
        Fixed(saturate(div_round_half_away(wide, Self::SCALE as i128)))
    }

    pub fn saturating_add(self, other: Fixed) -> Fixed {
        Fixed(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Fixed) -> Fixed {
        Fixed(self.0.saturating_sub(other.0))
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn abs(self) -> Fixed {
        Fixed(self.0.saturating_abs())
    }

    /// Rounds to `decimals` places (0..=4) with `mode`.
    pub fn round(self, decimals: u32, mode: RoundingMode) -> Fixed {
        if decimals >= Self::DECIMALS {
            return self;
        }
        let unit = 10i64.pow(Self::DECIMALS - decimals);
        let q = self.0.div_euclid(unit);
        let r = self.0.rem_euclid(unit);
        // q is floor(self / unit); r in [0, unit).
        let twice = 2 * r;
        let up = match mode {
            RoundingMode::Down => self.0 < 0 && r != 0,
            RoundingMode::HalfUp => {
                if self.0 >= 0 {
                    twice >= unit
                } else {
                    twice > unit
                }
            }
            RoundingMode::HalfEven => twice > unit || (twice == unit && q % 2 != 0),
        };
        Fixed((q + up as i64).saturating_mul(unit))
    }
}

fn div_round_half_away(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

fn saturate(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

impl fmt::Display for Fixed {
    /// Prints with as few decimals as the value needs: `12`, `12.5`, `-0.0125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / Self::SCALE as u64;
        let frac = abs % Self::SCALE as u64;
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{frac:04}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl Fixed {
    /// Prints with exactly `decimals` places (0..=4), as a round's totals are shown: `125.00`.
    /// Meant for values already rounded to that many places: further places are cut, not rounded.
    pub fn to_string_with_decimals(self, decimals: u32) -> String {
        let decimals = decimals.min(Self::DECIMALS);
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / Self::SCALE as u64;
        if decimals == 0 {
            return format!("{sign}{whole}");
        }
        let frac = format!("{:04}", abs % Self::SCALE as u64);
        format!("{sign}{whole}.{}", &frac[..decimals as usize])
    }
}

impl fmt::Debug for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Fixed {
    type Err = FixedError;

    /// Parses `12`, `-3.5`, `0.0125`, also with Persian or Arabic-Indic digits and `٫` as the point.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let normalized = crate::domain::digits::to_ascii_digits(text.trim());
        let s = normalized.as_str();
        let err = || FixedError::NotANumber(text.to_string());
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, f),
            None => (body, ""),
        };
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        let frac_trimmed = frac.trim_end_matches('0');
        if frac_trimmed.len() > Self::DECIMALS as usize {
            return Err(FixedError::TooPrecise(text.to_string()));
        }
        let whole_value: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| FixedError::OutOfRange(text.to_string()))?
        };
        let mut frac_value: i64 = 0;
        for (i, b) in frac_trimmed.bytes().enumerate() {
            frac_value += (b - b'0') as i64 * 10i64.pow(Self::DECIMALS - 1 - i as u32);
        }
        let raw = whole_value
            .checked_mul(Self::SCALE)
            .and_then(|w| w.checked_add(frac_value))
            .ok_or_else(|| FixedError::OutOfRange(text.to_string()))?;
        Ok(Fixed(if neg { -raw } else { raw }))
    }
}

impl Serialize for Fixed {
    /// Serialized as a JSON number when exactly representable as an integer, else as a decimal number.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.to_int() {
            Some(n) => serializer.serialize_i64(n),
            None => serializer.serialize_f64(self.0 as f64 / Self::SCALE as f64),
        }
    }
}

impl utoipa::PartialSchema for Fixed {
    /// An exact decimal, written as a JSON number with at most four decimal places.
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some(
                "An exact decimal: a JSON number with at most four decimal places (totals with the \
                 round's `decimals`), in its shortest form, e.g. 12.35 or 70.",
            ))
            .examples([serde_json::json!(12.35)])
            .into()
    }
}

impl utoipa::ToSchema for Fixed {
    fn name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }
}

impl<'de> Deserialize<'de> for Fixed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Fixed;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number with at most four decimal places")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Fixed, E> {
                v.checked_mul(Fixed::SCALE)
                    .map(Fixed)
                    .ok_or_else(|| E::custom(FixedError::OutOfRange(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Fixed, E> {
                let v = i64::try_from(v).map_err(|_| E::custom("number too large"))?;
                self.visit_i64(v)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Fixed, E> {
                Fixed::from_f64(v).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Fixed, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Fixed {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_without_trailing_zeros() {
        assert_eq!(f("12").to_string(), "12");
        assert_eq!(f("-3.50").to_string(), "-3.5");
        assert_eq!(f("0.0125").to_string(), "0.0125");
        assert_eq!(f("۱۲٫۵").to_string(), "12.5");
        assert_eq!(f(".5"), f("0.5"));
    }

    #[test]
    fn a_total_prints_with_the_rounds_decimals() {
        let f = |s: &str| s.parse::<Fixed>().unwrap();
        assert_eq!(f("125").to_string_with_decimals(2), "125.00");
        assert_eq!(f("12.5").to_string_with_decimals(2), "12.50");
        assert_eq!(f("-0.0125").to_string_with_decimals(4), "-0.0125");
        assert_eq!(f("-3.25").to_string_with_decimals(1), "-3.2");
        assert_eq!(f("7.9").to_string_with_decimals(0), "7");
    }

    #[test]
    fn rejects_more_than_four_decimals_and_garbage() {
        assert!(matches!(
            "1.23456".parse::<Fixed>(),
            Err(FixedError::TooPrecise(_))
        ));
        assert!(matches!(
            "1.2.3".parse::<Fixed>(),
            Err(FixedError::NotANumber(_))
        ));
        assert!(matches!(
            "".parse::<Fixed>(),
            Err(FixedError::NotANumber(_))
        ));
        assert!(matches!(
            "abc".parse::<Fixed>(),
            Err(FixedError::NotANumber(_))
        ));
    }

    #[test]
    fn floats_written_by_people_convert_exactly() {
        assert_eq!(Fixed::from_f64(0.1).unwrap(), f("0.1"));
        assert_eq!(Fixed::from_f64(2.675).unwrap(), f("2.675"));
        assert!(Fixed::from_f64(0.123456).is_err());
        assert!(Fixed::from_f64(67.47501).is_err());
        assert!(Fixed::from_f64(60.00001).is_err());
        assert_eq!(Fixed::from_f64(123456.7891).unwrap(), f("123456.7891"));
    }

    #[test]
    fn rounding_modes_differ_only_at_midpoints() {
        let x = f("2.345");
        assert_eq!(x.round(2, RoundingMode::HalfUp), f("2.35"));
        assert_eq!(x.round(2, RoundingMode::HalfEven), f("2.34"));
        assert_eq!(f("2.355").round(2, RoundingMode::HalfEven), f("2.36"));
        assert_eq!(f("-2.345").round(2, RoundingMode::HalfUp), f("-2.35"));
        assert_eq!(f("2.349").round(2, RoundingMode::Down), f("2.34"));
        assert_eq!(f("-2.349").round(2, RoundingMode::Down), f("-2.34"));
        assert_eq!(f("7.25").round(0, RoundingMode::HalfEven), f("7"));
    }

    #[test]
    fn multiplication_is_exact_then_rounded_half_away() {
        assert_eq!(f("1.5").mul(f("2.5")), f("3.75"));
        assert_eq!(f("0.0001").mul(f("0.5")), f("0.0001"));
        assert_eq!(f("-0.0001").mul(f("0.5")), f("-0.0001"));
        assert_eq!(f("-2.5").mul(f("1")), f("-2.5"));
        assert_eq!(f("0.0003").mul(f("0.5")), f("0.0002"));
        assert_eq!(f("-0.0003").mul(f("0.5")), f("-0.0002"));
        // Products beyond 64 bits take the wide path and agree with it.
        let big = Fixed::from_int(900_000_000);
        assert_eq!(big.mul(f("1.5")), Fixed::from_int(1_350_000_000));
    }

    proptest::proptest! {
        #[test]
        fn the_fast_product_equals_the_wide_one(a in -10_000_000_000i64..10_000_000_000, b in -100_000_000i64..100_000_000) {
            let wide = saturate(div_round_half_away(a as i128 * b as i128, Fixed::SCALE as i128));
            proptest::prop_assert_eq!(Fixed(a).mul(Fixed(b)), Fixed(wide));
        }
    }

    #[test]
    fn decimal_round_trip_is_exact() {
        for s in ["0", "1.2345", "-99999.9999", "42"] {
            assert_eq!(Fixed::from_decimal(f(s).to_decimal()).unwrap(), f(s));
        }
        let third = Decimal::ONE / Decimal::from(3);
        assert_eq!(Fixed::from_decimal(third).unwrap(), f("0.3333"));
    }
}
