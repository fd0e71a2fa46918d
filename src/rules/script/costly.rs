//! Built-ins whose cost grows with their argument, charged for the work they do.
//!
//! Rhai counts one operation for a call however much the called function does, so
//! `v.pad(9999, 0); loop { v.contains(1) }` would do ten thousand comparisons per "operation" and
//! run for minutes inside the operation limit. These replacements do exactly what Rhai's own
//! functions do (element comparisons go through Rhai's `==`), but first charge the budget one
//! operation per element they may touch (n log n for a sort). They are registered in the engine's
//! global namespace, which Rhai searches before its packages. Every other built-in is bounded by
//! the sizes the sandbox allows and by the time limit of an evaluation.

use std::cmp::Ordering;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FuncRegistration, INT, Map, NativeCallContext};

use crate::rules::budget;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// Charges `work` operations, or stops the script.
fn charge(ctx: &NativeCallContext, work: usize) -> Fallible<()> {
    if budget::charge(work as u64) {
        Err(EvalAltResult::ErrorTerminated(Dynamic::UNIT, ctx.call_position()).into())
    } else {
        Ok(())
    }
}

/// Rhai's `==` on two values; values of different types without an `==` are unequal.
fn equal(ctx: &NativeCallContext, a: &mut Dynamic, b: &mut Dynamic) -> Fallible<bool> {
    match ctx.call_native_fn_raw("==", true, &mut [&mut *a, &mut *b]) {
        Ok(r) => Ok(r.as_bool().unwrap_or(false)),
        Err(err) => match *err {
            EvalAltResult::ErrorFunctionNotFound(ref sig, ..)
                if sig.starts_with("==") && a.type_id() != b.type_id() =>
            {
                Ok(false)
            }
            _ => Err(err),
        },
    }
}

fn index_of(
    ctx: &NativeCallContext,
    array: &mut Array,
    value: &Dynamic,
    start: INT,
) -> Fallible<INT> {
    let n = array.len();
    let start = if start < 0 {
        n - (start.unsigned_abs() as usize).min(n)
    } else {
        (start as usize).min(n)
    };
    charge(ctx, n - start)?;
    for (i, item) in array.iter_mut().enumerate().skip(start) {
        if equal(ctx, item, &mut value.clone())? {
            return Ok(i as INT);
        }
    }
    Ok(-1)
}

fn arrays_equal(ctx: &NativeCallContext, a: &mut Array, mut b: Array) -> Fallible<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    charge(ctx, a.len())?;
    for (x, y) in a.iter_mut().zip(b.iter_mut()) {
        if !equal(ctx, x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn maps_equal(ctx: &NativeCallContext, a: &mut Map, mut b: Map) -> Fallible<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    charge(ctx, a.len())?;
    for (key, x) in a.iter_mut() {
        let Some(y) = b.get_mut(key) else {
            return Ok(false);
        };
        let same = ctx
            .call_native_fn_raw("==", true, &mut [x, y])?
            .as_bool()
            .unwrap_or(false);
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The order of two values of one of the types Rhai's `sort` knows.
fn compare(a: &Dynamic, b: &Dynamic) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.as_int(), b.as_int()) {
        x.cmp(&y)
    } else if let (Ok(x), Ok(y)) = (a.as_decimal(), b.as_decimal()) {
        x.cmp(&y)
    } else if let (Ok(x), Ok(y)) = (a.as_char(), b.as_char()) {
        x.cmp(&y)
    } else if let (Ok(x), Ok(y)) = (a.as_bool(), b.as_bool()) {
        x.cmp(&y)
    } else if let (Some(x), Some(y)) = (
        a.read_lock::<rhai::ImmutableString>(),
        b.read_lock::<rhai::ImmutableString>(),
    ) {
        x.as_str().cmp(y.as_str())
    } else {
        Ordering::Equal
    }
}

/// Rhai's `sort()` and `sort_desc()`: every element of one built-in type.
fn sort(ctx: &NativeCallContext, array: &mut Array, descending: bool) -> Fallible<()> {
    let n = array.len();
    if n <= 1 {
        return Ok(());
    }
    charge(ctx, n * (n.ilog2() as usize + 1))?;
    let first = array[0].type_id();
    let not_found = |what: String| -> Box<EvalAltResult> {
        EvalAltResult::ErrorFunctionNotFound(what, rhai::Position::NONE).into()
    };
    if array.iter().any(|a| a.type_id() != first) {
        return Err(not_found(
            "elements of different types cannot be sorted".into(),
        ));
    }
    let d = &array[0];
    if d.is_unit() {
        return Ok(());
    }
    if !(d.is_int() || d.is_decimal() || d.is_char() || d.is_bool() || d.is_string()) {
        return Err(not_found(format!(
            "elements of {} cannot be sorted",
            d.type_name()
        )));
    }
    if descending {
        array.sort_by(|a, b| compare(b, a));
    } else {
        array.sort_by(compare);
    }
    Ok(())
}

/// Arrays, map entries and string bytes inside a value, as Rhai counts them against its limits.
fn sizes(d: &Dynamic) -> (usize, usize, usize) {
    if let Some(a) = d.read_lock::<Array>() {
        array_sizes(&a)
    } else if let Some(m) = d.read_lock::<Map>() {
        m.values().fold((0, m.len(), 0), |(x, y, z), e| {
            let (a, m, s) = sizes(e);
            (x + a, y + m, z + s)
        })
    } else if let Some(s) = d.read_lock::<rhai::ImmutableString>() {
        (0, 0, s.len())
    } else {
        (0, 0, 0)
    }
}

fn array_sizes(a: &[Dynamic]) -> (usize, usize, usize) {
    a.iter().fold((a.len(), 0, 0), |(x, y, z), e| {
        let (a, m, s) = sizes(e);
        (x + a, y + m, z + s)
    })
}

/// Rhai's `pad`: refused before any work when the result would exceed the sandbox's sizes.
fn pad(ctx: &NativeCallContext, array: &mut Array, len: INT, item: Dynamic) -> Fallible<()> {
    let Ok(len) = usize::try_from(len) else {
        return Ok(());
    };
    if len <= array.len() {
        return Ok(());
    }
    let extra = len - array.len();
    let engine = ctx.engine();
    let (a, m, s) = array_sizes(array);
    let (ia, im, is) = sizes(&item);
    let too_large = |what: &str| -> Box<EvalAltResult> {
        EvalAltResult::ErrorDataTooLarge(what.into(), ctx.call_position()).into()
    };
    let grown = |now: usize, per: usize| now.saturating_add(extra.saturating_mul(per));
    if grown(a, 1 + ia) > engine.max_array_size() {
        return Err(too_large("Size of array"));
    }
    if grown(m, im) > engine.max_map_size() {
        return Err(too_large("Size of object map"));
    }
    if grown(s, is) > engine.max_string_size() {
        return Err(too_large("Length of string"));
    }
    charge(ctx, extra.saturating_mul(1 + ia + im))?;
    array.resize(len, item);
    Ok(())
}

/// Registers the charged built-ins over Rhai's own.
pub(super) fn register(engine: &mut Engine) {
    let pure = |name: &str| FuncRegistration::new(name).with_purity(true);
    let mutating = |name: &str| FuncRegistration::new(name).with_purity(false);
    pure("contains").register_into_engine(
        engine,
        |ctx: NativeCallContext, array: &mut Array, value: Dynamic| -> Fallible<bool> {
            Ok(index_of(&ctx, array, &value, 0)? >= 0)
        },
    );
    pure("index_of").register_into_engine(
        engine,
        |ctx: NativeCallContext, array: &mut Array, value: Dynamic| -> Fallible<INT> {
            index_of(&ctx, array, &value, 0)
        },
    );
    pure("index_of").register_into_engine(
        engine,
        |ctx: NativeCallContext, array: &mut Array, value: Dynamic, start: INT| -> Fallible<INT> {
            index_of(&ctx, array, &value, start)
        },
    );
    pure("==").register_into_engine(
        engine,
        |ctx: NativeCallContext, a: &mut Array, b: Array| -> Fallible<bool> {
            arrays_equal(&ctx, a, b)
        },
    );
    pure("!=").register_into_engine(
        engine,
        |ctx: NativeCallContext, a: &mut Array, b: Array| -> Fallible<bool> {
            arrays_equal(&ctx, a, b).map(|e| !e)
        },
    );
    pure("==").register_into_engine(
        engine,
        |ctx: NativeCallContext, a: &mut Map, b: Map| -> Fallible<bool> { maps_equal(&ctx, a, b) },
    );
    pure("!=").register_into_engine(
        engine,
        |ctx: NativeCallContext, a: &mut Map, b: Map| -> Fallible<bool> {
            maps_equal(&ctx, a, b).map(|e| !e)
        },
    );
    mutating("sort").register_into_engine(
        engine,
        |ctx: NativeCallContext, array: &mut Array| -> Fallible<()> { sort(&ctx, array, false) },
    );
    mutating("sort_desc").register_into_engine(
        engine,
        |ctx: NativeCallContext, array: &mut Array| -> Fallible<()> { sort(&ctx, array, true) },
    );
    mutating("pad").register_into_engine(
        engine,
        |ctx: NativeCallContext, array: &mut Array, len: INT, item: Dynamic| -> Fallible<()> {
            pad(&ctx, array, len, item)
        },
    );
}
