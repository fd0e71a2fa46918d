//! Criteria scored by bands: points by the range a number falls in.

use std::path::Path;

use super::super::{Ctx, Hint, fa};
use super::{Env, numeric};
use crate::domain::Fixed;
use crate::domain::quoted;
use crate::rules::diagnostic::Position;
use crate::rules::model::{BandSpec, BandsSpec};
use crate::rules::ruleset::{Band, Rule};
use crate::rules::yaml::Item;

/// Compiles a bands criterion worth at most `max` points; it needs a number input.
pub(super) fn compile(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    b: &BandsSpec,
    max: Fixed,
) -> Option<(Rule, Vec<usize>)> {
    let input = env.resolve(cx, file, &b.input)?;
    numeric(cx, file, &b.input, &env.inputs[input]);
    let bands = compile_bands(cx, file, b, max);
    Some((Rule::Bands { input, bands }, vec![input]))
}

/// Checks the bands and keeps them from low to high.
fn compile_bands(cx: &mut Ctx, file: &Path, spec: &BandsSpec, max: Fixed) -> Vec<Band> {
    let Some((bands, descending)) = ordered(cx, file, spec) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(bands.len());
    for (i, b) in bands.iter().enumerate() {
        if let (Some(lo), Some(hi)) = (&b.at_least, &b.below)
            && lo.value >= hi.value
        {
            cx.error(
                file,
                hi,
                format!(
                    "the band starts at {} but ends below {}",
                    lo.value, hi.value
                ),
                format!(
                    "این بازه از {} آغاز می‌شود ولی پایانش زیر {} است",
                    fa(lo.value),
                    fa(hi.value)
                ),
            )
            .hint(
                "`at_least` must be smaller than `below`",
                format!(
                    "{} باید از {} کوچک‌تر باشد",
                    quoted("at_least"),
                    quoted("below")
                ),
            );
        }
        if b.points.value > max || b.points.value < Fixed::ZERO {
            cx.error(
                file,
                &b.points,
                format!(
                    "{} points is outside 0 to max_points ({max})",
                    b.points.value
                ),
                format!(
                    "امتیاز {} بیرون از بازهٔ ۰ تا {} ({}) است",
                    fa(b.points.value),
                    quoted("max_points"),
                    fa(max)
                ),
            );
        }
        if i > 0 {
            check_neighbours(cx, file, bands[i - 1], b, descending);
        }
        out.push(Band {
            at_least: b.at_least.as_ref().map(|x| x.value),
            below: b.below.as_ref().map(|x| x.value),
            points: b.points.value,
        });
    }
    out
}

/// The bands from low to high, and whether they were written from high to low; `None` (reported)
/// when there are none or they are in no order.
fn ordered<'b>(
    cx: &mut Ctx,
    file: &Path,
    spec: &'b BandsSpec,
) -> Option<(Vec<&'b BandSpec>, bool)> {
    let mut bands: Vec<&BandSpec> = spec
        .bands
        .iter()
        .filter_map(|b| match b {
            Item::Ok(b) => Some(b),
            Item::Failed => None,
        })
        .collect();
    if bands.is_empty() {
        cx.error(
            file,
            &spec.input,
            "`bands:` is empty",
            format!("فهرست {} خالی است", quoted("bands:")),
        )
        .hint("list at least one band", "دست‌کم یک بازه بنویسید");
        return None;
    }
    // Bands may be written from high to low, as policy documents often state them; they are
    // checked and kept from low to high. Any other order is one mistake, reported once.
    let lo = |b: &BandSpec| b.at_least.as_ref().map(|x| x.value);
    let hi = |b: &BandSpec| b.below.as_ref().map_or((1, Fixed::ZERO), |x| (0, x.value));
    let lies_below = |b: &BandSpec, a: &BandSpec| lo(b) < lo(a) && hi(b) < hi(a);
    let descending = bands.len() > 1 && bands.windows(2).all(|w| lies_below(w[1], w[0]));
    if descending {
        bands.reverse();
    } else if let Some(w) = bands.windows(2).find(|w| lies_below(w[1], w[0])) {
        let b = w[1];
        cx.error_at(
            band_place(file, b),
            "the bands are not in order: this band starts below the one before it",
            "بازه‌ها به ترتیب نیستند: این بازه پایین‌تر از بازهٔ پیش از خود آغاز می‌شود",
        )
        .hint(
            "list bands from low to high",
            "بازه‌ها را از کم به زیاد بنویسید",
        );
        return None;
    }
    Some((bands, descending))
}

/// Checks that a band starts where the one below it (`prev`) ends.
fn check_neighbours(cx: &mut Ctx, file: &Path, prev: &BandSpec, b: &BandSpec, descending: bool) {
    // Words for the neighbour a band is compared with, in the order the bands are written.
    let ((before, before_fa), (lowest_first, lowest_first_fa)) = if descending {
        (
            ("the one after it", "بازهٔ پس از خود"),
            ("the last (lowest)", "واپسین (پایین‌ترین)"),
        )
    } else {
        (
            ("the one before", "بازهٔ پیش از خود"),
            ("the first", "نخستین"),
        )
    };
    let (highest, highest_fa) = if descending {
        ("the first (highest)", "نخستین (بالاترین)")
    } else {
        ("the last", "واپسین")
    };
    match (&prev.below, &b.at_least) {
        (Some(end), Some(start)) if start.value < end.value => {
            cx.error(
                file,
                start,
                format!(
                    "this band overlaps {before}: it starts at {} but that one runs below {}",
                    start.value, end.value
                ),
                format!(
                    "این بازه با {} هم‌پوشانی دارد: از {} آغاز می‌شود ولی آن یکی تا زیر {} ادامه دارد",
                    before_fa,
                    fa(start.value),
                    fa(end.value)
                ),
            )
            .hint(
                format!("start this band at {}", end.value),
                format!("این بازه را از {} آغاز کنید", fa(end.value)),
            );
        }
        (Some(end), Some(start)) if start.value > end.value => {
            let (gap, gap_fa) = if descending {
                ("gap below this band", "شکاف زیر این بازه")
            } else {
                ("gap after the band before", "شکاف پس از بازهٔ پیشین")
            };
            cx.error(
                file,
                start,
                format!(
                    "values from {} up to {} fall in no band ({gap})",
                    end.value, start.value
                ),
                format!(
                    "مقدارهای {} تا {} در هیچ بازه‌ای نمی‌افتند ({})",
                    fa(end.value),
                    fa(start.value),
                    gap_fa
                ),
            )
            .hint(
                format!("start this band at {}", end.value),
                format!("این بازه را از {} آغاز کنید", fa(end.value)),
            );
        }
        (None, _) => {
            cx.error(
                file,
                &b.points,
                "this band lies above one that has no upper end (`below`)",
                format!(
                    "این بازه بالای بازه‌ای است که سر بالا ({}) ندارد",
                    quoted("below")
                ),
            )
            .hint(
                format!("only {highest} band may leave out `below`"),
                format!(
                    "تنها {} بازه می‌تواند {} نداشته باشد",
                    highest_fa,
                    quoted("below")
                ),
            );
        }
        (Some(end), None) => {
            cx.error(
                file,
                &b.points,
                format!(
                    "this band has no `at_least`; it should start at {}",
                    end.value
                ),
                format!(
                    "این بازه {} ندارد؛ باید از {} آغاز شود",
                    quoted("at_least"),
                    fa(end.value)
                ),
            )
            .hint(
                format!("only {lowest_first} band may leave out `at_least`"),
                format!(
                    "تنها {} بازه می‌تواند {} نداشته باشد",
                    lowest_first_fa,
                    quoted("at_least")
                ),
            );
        }
        _ => {}
    }
}

/// Where a band is written (its first bound, else its points).
fn band_place(file: &Path, b: &BandSpec) -> Position {
    match (&b.at_least, &b.below) {
        (Some(x), _) | (None, Some(x)) => x.at(file),
        (None, None) => b.points.at(file),
    }
}
