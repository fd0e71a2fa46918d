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
    /// The publication's id.
    #[schema(example = 1)]
    pub id: i64,
    /// The round it belongs to.
    #[schema(example = "1400-2")]
    pub round: String,
    /// `first` or `final`.
    #[schema(example = "first")]
    pub stage: String,
    /// The content hash of the rules it was computed with.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub rules_hash: String,
    /// The rules' version, as the rule files name it.
    #[schema(example = "1400-2.1")]
    pub rules_version: String,
    /// The version of arzyab that computed it.
    #[schema(example = "0.1.0")]
    pub engine_version: String,
    /// When it was published.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub published_at: Timestamp,
    /// `published_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/16 10:00")]
    pub published_at_jalali: String,
    /// Who published it (`role:username`).
    #[schema(example = "regulator:regulator")]
    pub published_by: String,
    /// How many offices it ranks.
    #[schema(example = 60)]
    pub office_count: i64,
    /// SHA-256 over every office's result document.
    #[schema(example = "e1d6c6f31fc5315a273535ec27c4d68b69095933079b46e1f9acdfb593915f6a")]
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
    /// Offices in grade 1.
    #[schema(example = 12)]
    pub grade_1: usize,
    /// Offices in grade 2.
    #[schema(example = 21)]
    pub grade_2: usize,
    /// Offices in grade 3.
    #[schema(example = 27)]
    pub grade_3: usize,
}

/// The first results, as published.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Published {
    /// The first publication.
    pub publication: Publication,
    /// How many offices got each grade.
    pub grades: GradeCounts,
    /// The objection window the publication opened.
    pub objection_window: PhaseWindow,
}

/// The final ranks, as published, and every office whose result changed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Finalized {
    /// The final publication.
    pub publication: Publication,
    /// How many offices got each final grade.
    pub grades: GradeCounts,
    /// Every office whose final result differs from its first.
    pub changed: Vec<ResultChange>,
}

/// A round's publications.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicationList {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// Its publications, first results before final ranks.
    pub publications: Vec<Publication>,
}

/// A publication recomputed from what it stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// The publication's id.
    #[schema(example = 1)]
    pub publication: i64,
    /// `first` or `final`.
    #[schema(example = "first")]
    pub stage: String,
    /// The content hash of the rules it was computed with.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub rules_hash: String,
    /// The snapshot hash stored at publication.
    #[schema(example = "e1d6c6f31fc5315a273535ec27c4d68b69095933079b46e1f9acdfb593915f6a")]
    pub stored_snapshot_hash: String,
    /// The snapshot hash of the results recomputed now.
    #[schema(example = "e1d6c6f31fc5315a273535ec27c4d68b69095933079b46e1f9acdfb593915f6a")]
    pub recomputed_snapshot_hash: String,
    /// True when every result was recomputed byte for byte.
    #[schema(example = true)]
    pub identical: bool,
    /// Offices whose recomputed result differs.
    #[schema(example = json!(["P-THR-000001"]))]
    pub mismatches: Vec<String>,
}

/// An office's own result.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyResult {
    /// `first` or `final`.
    #[schema(example = "first")]
    pub stage: String,
    /// The result document exactly as published (and hashed).
    #[schema(value_type = ResultDocument<'static>)]
    pub result: serde_json::Value,
    /// The office's objection, if it filed one.
    pub objection: Option<Objection>,
    /// When objections may be filed.
    pub objection_window: PhaseWindow,
    /// True while the office may still object.
    #[schema(example = true)]
    pub may_object: bool,
}

/// A page of results.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultList {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// `first` or `final`.
    #[schema(example = "first")]
    pub stage: String,
    /// How many results there are in all pages.
    #[schema(example = 60)]
    pub total: usize,
    /// This page's number, from 1.
    #[schema(example = 1)]
    pub page: usize,
    /// How many results a page holds.
    #[schema(example = 100)]
    pub per_page: usize,
    /// This page's results, nationwide position first.
    pub results: Vec<ResultRow>,
}

/// One office's result in a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultRow {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The office's region (1–9).
    #[schema(example = 1)]
    pub region: u8,
    /// The office's kind.
    #[schema(example = "pishkhan")]
    pub kind: String,
    /// Whether the office filed a declaration.
    #[schema(example = true)]
    pub filed: bool,
    /// `null` for a non-filer in the lowest grade.
    pub total: Option<Fixed>,
    /// The office's grade.
    pub grade: Grade,
    /// Percent of the services available in its area it may offer.
    pub service_share_percent: Fixed,
    /// Ranking scope → position.
    #[schema(example = json!({"nationwide": 5, "office_kind": 1, "region": 3}))]
    pub positions: BTreeMap<String, u32>,
    /// Points short of the next better grade; `null` in grade 1 or for a non-filer.
    pub to_next_grade: Option<Fixed>,
}

/// The share of services each office may offer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Services {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// `first` or `final`.
    #[schema(example = "first")]
    pub stage: String,
    /// Every office's share.
    pub services: Vec<ServiceRow>,
}

/// One office's share of services.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceRow {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The office's region (1–9).
    #[schema(example = 1)]
    pub region: u8,
    /// The office's grade.
    pub grade: Grade,
    /// Percent of the services available in its area.
    pub service_share_percent: Fixed,
}
