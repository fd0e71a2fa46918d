//! The API's response bodies (and the value schemas they share): one named type per answer, each
//! with its OpenAPI schema, so clients can learn every field from `/openapi.json`.
//!
//! One representation for each kind of value (the README's "Values in the API" table):
//! instants are RFC 3339 in UTC (`2021-04-25T19:30:00Z`, jiff's `Timestamp`), with a
//! `*_jalali` companion (`1400/02/06 00:00`, Tehran time, Latin digits) wherever a person reads the
//! date; exact decimals are JSON numbers (`Fixed`, schema `Decimal`); ids are what the store
//! assigned, the same in a create call's answer, the list and the get.

pub mod declarations;
pub mod results;
pub mod review;
pub mod rounds;
pub mod rules;
pub mod simulate;
pub mod triage;

use jiff::Timestamp;
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};

use crate::domain::records::OfficeRow;
use crate::domain::{JalaliDate, NationalCode, OfficeId, OfficeKind, RegionId};

/// An instant as stored (milliseconds since the Unix epoch), as the API shows it.
pub fn instant(ms: i64) -> Timestamp {
    crate::domain::from_millis(ms)
}

/// The `*_jalali` companion of an instant: `1400/02/05 10:00`, Tehran time.
pub fn jalali(ts: Timestamp) -> String {
    JalaliDate::date_time_of(ts)
}

/// A value of one of the round's inputs, as stored and echoed: a number, yes/no, a choice's name
/// or a Jalali date (strings), or a list of violations. Its type is the input's `type` in
/// `GET /v1/rounds/{round}`.
pub struct InputValue;

impl utoipa::PartialSchema for InputValue {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str, example: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
                .examples([example])
        };
        let violation = ObjectBuilder::new()
            .property("kind", text("The penalty's id.", "overcharging"))
            .required("kind")
            .property("date", text("When it happened (Jalali).", "1400/01/25"))
            .property(
                "note",
                text(
                    "What the inspector wrote.",
                    "دریافت وجه اضافه از مراجعه‌کننده",
                ),
            );
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ArrayBuilder::new().items(violation))
            .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
            .description(Some(
                "An input's value: a number, true/false, a choice's name or a Jalali date \
                 (`1400/01/20`), a list of violations, or null where cleared",
            ))
            .into()
    }
}

impl utoipa::ToSchema for InputValue {}

/// An office of the registry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Office {
    /// License number.
    pub id: OfficeId,
    /// Pishkhan, non-governmental or rural ICT.
    pub kind: OfficeKind,
    /// The region it belongs to (1–9).
    pub region: RegionId,
    /// The province's code.
    #[schema(example = "THR")]
    pub province: String,
    /// The office's name.
    #[schema(example = "دفتر پیشخوان دولت ۱۲۳۴")]
    pub name: String,
    /// The license holder's national code.
    pub holder_national_code: NationalCode,
}

impl From<OfficeRow> for Office {
    fn from(o: OfficeRow) -> Self {
        Office {
            id: o.id,
            kind: o.kind,
            region: o.region,
            province: o.province,
            name: o.name,
            holder_national_code: o.holder_national_code,
        }
    }
}
