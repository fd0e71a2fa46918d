//! Domain types parsed once at the edge and trusted everywhere inside.

pub mod digits;
mod fixed;
mod jalali;
pub mod label;
mod national_code;
mod office;
pub mod records;
mod role;
mod round_id;
mod status;
mod username;

pub use fixed::{Fixed, FixedError, RoundingMode};
pub use jalali::{JalaliDate, JalaliError, TEHRAN, tehran};
pub use label::{Label, persian_problem, quoted};
pub use national_code::{NationalCode, NationalCodeError};
pub use office::{Grade, OfficeId, OfficeIdError, OfficeKind, RegionId, RegionIdError};
pub use records::{CorruptRecord, from_millis};
pub use role::Role;
pub use round_id::{RoundId, RoundIdError};
pub use status::{DeclarationStatus, ObjectionStatus, ReferralStatus, Stage};
pub use username::{Username, UsernameError};
