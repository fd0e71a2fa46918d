//! Bodies of publication and results.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::review::Objection;
use super::{instant, jalali};
use crate::domain::records::Publication as PublicationRow;
use crate::domain::{Fixed, Grade};
use crate::workflow::calendar::PhaseWindow;
use crate::workflow::publication::{ResultChange, ResultDocument};

/// A publication: first results or final ranks, and what proves them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Publication {
    pub id: i64,
    pub round: String,
    /// `first` or `final`.
    pub stage: String,
    /// The content hash of the rules it was computed with.
    pub rules_hash: String,
    pub rules_version: String,
    pub engine_version: String,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub published_at: Timestamp,
    pub published_at_jalali: String,
    pub published_by: String,
    pub office_count: i64,
    /// SHA-256 over every office's result document.
    pub snapshot_hash: String,
}

impl From<PublicationRow> for Publication {
    fn from(p: PublicationRow) -> Self {
        let published_at = instant(p.published_at);
        Publication {
            id: p.id,
            round: p.round.to_string(),
            stage: p.stage.to_string(),
            rules_hash: p.rules_hash,
            rules_version: p.rules_version,
            engine_version: p.engine_version,
            published_at,
            published_at_jalali: jalali(published_at),
            published_by: p.published_by,
            office_count: p.office_count,
            snapshot_hash: p.snapshot_hash,
        }
    }
}

/// How many offices got each grade.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GradeCounts {
    pub grade_1: usize,
    pub grade_2: usize,
    pub grade_3: usize,
}

/// The first results, as published.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Published {
    pub publication: Publication,
    pub grades: GradeCounts,
    /// The objection window the publication opened.
    pub objection_window: PhaseWindow,
}

/// The final ranks, as published, and every office whose result changed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Finalized {
    pub publication: Publication,
    pub grades: GradeCounts,
    pub changed: Vec<ResultChange>,
}

/// A round's publications.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicationList {
    pub round: String,
    pub publications: Vec<Publication>,
}

/// A publication recomputed from what it stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// The publication's id.
    pub publication: i64,
    pub stage: String,
    pub rules_hash: String,
    pub stored_snapshot_hash: String,
    pub recomputed_snapshot_hash: String,
    /// True when every result was recomputed byte for byte.
    pub identical: bool,
    /// Offices whose recomputed result differs.
    pub mismatches: Vec<String>,
}

/// An office's own result.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyResult {
    /// `first` or `final`.
    pub stage: String,
    /// The result document exactly as published (and hashed).
    #[schema(value_type = ResultDocument<'static>)]
    pub result: serde_json::Value,
    pub objection: Option<Objection>,
    pub objection_window: PhaseWindow,
    /// True while the office may still object.
    pub may_object: bool,
}

/// A page of results.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultList {
    pub round: String,
    pub stage: String,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub results: Vec<ResultRow>,
}

/// One office's result in a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultRow {
    pub office: String,
    pub region: u8,
    pub kind: String,
    pub filed: bool,
    /// `null` for a non-filer in the lowest grade.
    pub total: Option<Fixed>,
    pub grade: Grade,
    pub service_share_percent: Fixed,
    /// Ranking scope → position.
    pub positions: BTreeMap<String, u32>,
    pub to_next_grade: Option<Fixed>,
}

/// The share of services each office may offer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Services {
    pub round: String,
    pub stage: String,
    pub services: Vec<ServiceRow>,
}

/// One office's share of services.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceRow {
    pub office: String,
    pub region: u8,
    pub grade: Grade,
    /// Percent of the services available in its area.
    pub service_share_percent: Fixed,
}
