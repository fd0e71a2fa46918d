//! Bilingual labels: every name a person reads comes in Persian and English.

use serde::{Deserialize, Serialize};

/// A Persian and an English text for the same thing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub fa: String,
    pub en: String,
}

impl Label {
    pub fn new(fa: impl Into<String>, en: impl Into<String>) -> Self {
        Label {
            fa: fa.into(),
            en: en.into(),
        }
    }
}
