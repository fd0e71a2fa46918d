//! Review triage of one region: the flags and risk of 5,000 files (peer statistics computed once
//! per office kind, then every file assessed), and the same after the files are prepared, to see
//! what the flags themselves cost. The reviewer's queue computes them on every read, so this is
//! what a queue read adds on top of reading the files.
//!
//! `cargo bench --bench triage` (release). Prints a table; no assertion on time.

use std::path::Path;
use std::time::{Duration, Instant};

use arzyab::engine::triage::{assess, assess_all, peer_stats};
use arzyab::engine::{Office, OfficeRecord, prepare};
use arzyab::population::demo::{self, DemoSettings};
use arzyab::population::demo_review::trip_review_flags;

const FILES: usize = 5_000;
const RUNS: usize = 20;

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn main() {
    let rs = arzyab::rules::load_round(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"))
        .unwrap_or_else(|d| panic!("{d}"));
    // One region: every office of the demo population moved into region 1.
    let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).expect("shipped regions parse");
    let mut records: Vec<OfficeRecord> = demo::generate(
        &rs,
        &provinces,
        &DemoSettings {
            offices: FILES,
            seed: 1400,
            non_filers_percent: 3,
        },
    );
    trip_review_flags(&rs, &mut records);
    for r in &mut records {
        r.region = arzyab::domain::RegionId::new(1).expect("region 1");
    }
    let offices: Vec<Office> = records
        .iter()
        .map(|r| prepare(&rs, r).unwrap_or_else(|e| panic!("{e}")))
        .collect();

    let whole: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(assess_all(&rs, &records));
            t.elapsed()
        })
        .collect();
    let flags_only: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let peers = peer_stats(&rs, &offices);
            for (r, o) in records.iter().zip(&offices) {
                std::hint::black_box(assess(&rs, r, o, peers.of(o.region, o.kind)));
            }
            t.elapsed()
        })
        .collect();
    let flagged = assess_all(&rs, &records)
        .iter()
        .flatten()
        .filter(|t| !t.flags.is_empty())
        .count();
    println!(
        "arzyab triage benchmark — round {}, {FILES} files of one region, {} flags, {flagged} files flagged",
        rs.round,
        rs.review.flags.len()
    );
    println!("{:<48} {:>12}", "what (median of 20 runs)", "ms");
    println!(
        "{:<48} {:>12.2}",
        "prepare + peers + flags (assess_all, all cores)",
        median(whole).as_secs_f64() * 1e3
    );
    println!(
        "{:<48} {:>12.2}",
        "peers + flags of prepared files (one core)",
        median(flags_only).as_secs_f64() * 1e3
    );
}
