//! Who a user is to the system: what they may see and do.

use serde::{Deserialize, Serialize};

/// A user's role. Reviewers are bound to one region, office holders to one office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An office's license holder (دارنده پروانه).
    Office,
    /// Regional staff who review the files of one region (کارشناس اداره کل منطقه).
    Reviewer,
    /// The regulator's staff: publish and finalize rounds, see everything.
    Regulator,
    /// Policy and system administrators: users, imports, rule sets.
    Admin,
    /// A program calling the API with a long-lived token.
    ApiClient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Office => "office",
            Role::Reviewer => "reviewer",
            Role::Regulator => "regulator",
            Role::Admin => "admin",
            Role::ApiClient => "api_client",
        }
    }

    /// What people call the role, in both languages: `کارشناس منطقه`, `regional reviewer`.
    pub fn label(self) -> crate::domain::Label {
        let (fa, en) = match self {
            Role::Office => ("دارنده پروانه دفتر", "office holder"),
            Role::Reviewer => ("کارشناس منطقه", "regional reviewer"),
            Role::Regulator => ("سازمان تنظیم‌گر", "regulator"),
            Role::Admin => ("مدیر سامانه", "administrator"),
            Role::ApiClient => ("برنامه کاربردی", "API client"),
        };
        crate::domain::Label::new(fa, en)
    }

    pub fn parse(text: &str) -> Option<Role> {
        [
            Role::Office,
            Role::Reviewer,
            Role::Regulator,
            Role::Admin,
            Role::ApiClient,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}
