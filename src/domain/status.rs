//! Where a round's things are in their lives: a declaration, a referral, an objection, and which
//! publication of a round a result belongs to. Stored and sent as their snake_case names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An enum of unit variants stored as text: its names, `as_str`, `parse` and `Display`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name it is stored and sent as.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value named `s`; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Where a declaration is in its life.
    DeclarationStatus {
        /// Being filled in by the office.
        Draft = "draft",
        /// Filed by the office inside the window.
        Submitted = "submitted",
        /// Sent back to the office for correction (see the open referral).
        Referred = "referred",
    }
}

text_enum! {
    /// A referral: open until the office resubmits or its deadline passes.
    ReferralStatus {
        Open = "open",
        Resubmitted = "resubmitted",
        Expired = "expired",
    }
}

text_enum! {
    /// An objection: pending until the region decides it.
    ObjectionStatus {
        Pending = "pending",
        Accepted = "accepted",
        Rejected = "rejected",
    }
}

text_enum! {
    /// Which publication of a round: the first results, or the final ranks after objections.
    Stage {
        First = "first",
        Final = "final",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_stage_reads_back_from_the_name_it_is_stored_and_sent_as() {
        fn check<T: Copy + PartialEq + fmt::Debug + Serialize>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for &v in all {
                assert_eq!(parse(as_str(v)), Some(v));
                assert_eq!(serde_json::to_value(v).unwrap(), as_str(v));
            }
        }
        check(
            DeclarationStatus::ALL,
            DeclarationStatus::as_str,
            DeclarationStatus::parse,
        );
        check(
            ReferralStatus::ALL,
            ReferralStatus::as_str,
            ReferralStatus::parse,
        );
        check(
            ObjectionStatus::ALL,
            ObjectionStatus::as_str,
            ObjectionStatus::parse,
        );
        check(Stage::ALL, Stage::as_str, Stage::parse);
    }

    #[test]
    fn a_name_that_is_not_a_status_is_refused_rather_than_read_as_a_default() {
        for s in ["", "Draft", "filed", "submitted ", "opened"] {
            assert_eq!(DeclarationStatus::parse(s), None, "{s}");
            assert_eq!(ReferralStatus::parse(s), None, "{s}");
        }
        assert_eq!(ObjectionStatus::parse("decided"), None);
        assert_eq!(Stage::parse("second"), None);
    }
}
