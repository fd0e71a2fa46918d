//! The rules-directory watcher: a dumb pipe from file-system events to reload messages.
//!
//! A `notify` watcher (created before the task is spawned, so a bad directory fails at once) sees
//! every change under the rules directory. Events are debounced — a burst of writes that ends with
//! [`WatchSettings::debounce`] of quiet is one message — and mapped to the rounds they touch:
//! `rules/<round>/…` reloads that round only (a new directory becomes live, a removed one is noted
//! and its live version stays). Editors that save by writing a temporary file and renaming it over
//! the original are seen as a rename into the directory; a round directory that appears is watched
//! again explicitly. If the watcher reports an error, loses its directory or the kernel drops
//! events, it is recreated (with backoff) and every round is rescanned; a periodic rescan catches
//! anything missed in between. The reloads themselves are [`Registry::reload`]'s.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};

use super::registry::{Origin, Registry};
use crate::clock::Clock;
use crate::domain::RoundId;

/// Timings of the watcher.
#[derive(Clone, Copy, Debug)]
pub struct WatchSettings {
    /// Quiet time that ends a burst of events.
    pub debounce: Duration,
    /// The longest a burst may delay a reload (a file written continuously still reloads).
    pub max_delay: Duration,
    /// Every this often, every round is compared with its files, in case an event was missed.
    pub rescan_every: Duration,
    /// First wait before recreating a failed watcher; doubles up to `retry_max`.
    pub retry_first: Duration,
    pub retry_max: Duration,
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            debounce: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            rescan_every: Duration::from_secs(60),
            retry_first: Duration::from_millis(250),
            retry_max: Duration::from_secs(30),
        }
    }
}

/// What the notify thread sends to the watch task.
#[derive(Debug)]
enum Signal {
    Event(notify::Event),
    Rescan,
    Broken(String),
}

/// The running watcher; dropping it stops watching.
#[derive(Debug)]
pub struct RulesWatcher {
    control: mpsc::UnboundedSender<Signal>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RulesWatcher {
    /// Stops watching and waits for a reload in progress to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Treats the watcher as failed (as if `notify` had reported `why`): it is recreated and every
    /// round rescanned. For drills and tests of the recovery path.
    pub fn simulate_failure(&self, why: &str) {
        let _ = self.control.send(Signal::Broken(why.to_string()));
    }

    /// Asks for a rescan of every round now.
    pub fn rescan(&self) {
        let _ = self.control.send(Signal::Rescan);
    }
}

impl Drop for RulesWatcher {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Starts watching the registry's directory. The watcher is created here, before the task that
/// reloads is spawned, so a missing directory or an exhausted inotify limit fails at once.
/// Must be called within a Tokio runtime.
pub fn watch(
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    settings: WatchSettings,
) -> Result<RulesWatcher, notify::Error> {
    let (tx, rx) = mpsc::unbounded_channel();
    let watcher = start_notify(&registry.dir, tx.clone())?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let task = tokio::spawn(run(
        registry,
        clock,
        settings,
        watcher,
        tx.clone(),
        rx,
        stop_rx,
    ));
    Ok(RulesWatcher {
        control: tx,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

fn start_notify(
    dir: &Path,
    tx: mpsc::UnboundedSender<Signal>,
) -> Result<RecommendedWatcher, notify::Error> {
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let _ = tx.send(match res {
            Ok(e) => Signal::Event(e),
            Err(e) => Signal::Broken(e.to_string()),
        });
    })?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// The rounds a burst of events touched.
#[derive(Debug, Default)]
struct Batch {
    rounds: BTreeSet<RoundId>,
    /// Round directories that were created or moved in: watched again explicitly.
    appeared: BTreeSet<PathBuf>,
    everything: bool,
    broken: Option<String>,
}

impl Batch {
    /// Adds a signal; `false` if it cannot change anything (a file opened or read), so it must not
    /// delay the reload: the quiet period is extended only by signals that count.
    fn add(&mut self, root: &Path, signal: Signal) -> bool {
        match signal {
            Signal::Broken(why) => self.broken = Some(why),
            Signal::Rescan => self.everything = true,
            Signal::Event(e) => {
                if e.need_rescan() {
                    self.everything = true;
                }
                if !changes_content(&e.kind) {
                    return e.need_rescan();
                }
                for path in &e.paths {
                    let Ok(rel) = path.strip_prefix(root) else {
                        continue;
                    };
                    let mut parts = rel.components();
                    match parts.next() {
                        None => {
                            if matches!(
                                e.kind,
                                EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
                            ) {
                                self.broken =
                                    Some("the rules directory itself was moved or removed".into());
                            }
                        }
                        Some(Component::Normal(name)) => {
                            let Some(id) = name.to_str().and_then(|n| RoundId::parse(n).ok())
                            else {
                                continue;
                            };
                            self.rounds.insert(id);
                            if parts.next().is_none()
                                && matches!(
                                    e.kind,
                                    EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(_))
                                )
                            {
                                self.appeared.insert(root.join(name));
                            }
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        true
    }
}

/// Whether an event can change what a round's files say. Opening and reading (which every reload
/// does itself) and metadata changes cannot; writes, creations, removals and renames can.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

// Long on purpose: the watcher's one event loop, whose state (the watcher, the directory's
// identity, the pending batch, the retry delay) lives across its branches.
async fn run(
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    settings: WatchSettings,
    watcher: RecommendedWatcher,
    tx: mpsc::UnboundedSender<Signal>,
    mut rx: mpsc::UnboundedReceiver<Signal>,
    mut stop: oneshot::Receiver<()>,
) {
    // notify reports absolute paths (a relative directory is joined to the working directory).
    let root = std::path::absolute(&registry.dir).unwrap_or_else(|_| registry.dir.clone());
    let mut watcher = Some(watcher);
    let mut identity = dir_identity(&root);
    let mut rescan = tokio::time::interval_at(
        Instant::now() + settings.rescan_every,
        settings.rescan_every,
    );
    rescan.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Files may have changed between the registry's load and the watcher's start.
    let mut pending = Some(Batch {
        everything: true,
        ..Batch::default()
    });
    loop {
        let mut batch = match pending.take() {
            Some(b) => b,
            None => {
                // Reads (a client polling the rules, an editor or indexer opening files, the
                // reloads themselves) are dropped here and never start or extend a burst.
                let mut b = Batch::default();
                loop {
                    let first = tokio::select! {
                        _ = &mut stop => return,
                        s = rx.recv() => match s { Some(s) => s, None => return },
                        _ = rescan.tick() => {
                            // The directory replaced wholesale (e.g. a deploy that swaps it) keeps
                            // no watch: recreate the watcher.
                            if dir_identity(&root) != identity {
                                Signal::Broken("the rules directory was replaced".into())
                            } else {
                                Signal::Rescan
                            }
                        }
                    };
                    if b.add(&root, first) {
                        break;
                    }
                }
                let latest = Instant::now() + settings.max_delay;
                let mut quiet = (Instant::now() + settings.debounce).min(latest);
                loop {
                    tokio::select! {
                        _ = &mut stop => return,
                        s = rx.recv() => match s {
                            Some(s) => if b.add(&root, s) {
                                quiet = (Instant::now() + settings.debounce).min(latest);
                            },
                            None => return,
                        },
                        _ = tokio::time::sleep_until(quiet) => break,
                    }
                }
                b
            }
        };
        if batch.everything && batch.rounds.is_empty() && batch.broken.is_none() {
            tracing::debug!("rules: rescanning every round");
        }
        if let Some(why) = batch.broken.take() {
            tracing::warn!(dir = %root.display(), "rules watcher failed ({why}); recreating it");
            drop(watcher.take());
            let mut wait = settings.retry_first;
            loop {
                match start_notify(&root, tx.clone()) {
                    Ok(w) => {
                        watcher = Some(w);
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(dir = %root.display(), retry_in = ?wait, "rules watcher not recreated: {e}");
                    }
                }
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(settings.retry_max);
            }
            identity = dir_identity(&root);
            tracing::info!(dir = %root.display(), "rules watcher recreated; rescanning every round");
            batch.everything = true;
        }
        if let Some(w) = watcher.as_mut() {
            for dir in &batch.appeared {
                if dir.is_dir()
                    && let Err(e) = w.watch(dir, RecursiveMode::Recursive)
                {
                    tracing::warn!(dir = %dir.display(), "cannot watch a new round directory: {e}");
                }
            }
        }
        let now = clock.now();
        if batch.everything {
            registry.rescan(Origin::FileWatcher, now).await;
            // A rescan skips files that failed before; a round an event named is tried again.
            for id in &batch.rounds {
                registry.reload(*id, Origin::FileWatcher, now).await;
            }
        } else {
            for id in &batch.rounds {
                registry.reload(*id, Origin::FileWatcher, now).await;
            }
        }
    }
}

/// The device and inode of a directory (to notice it being replaced); `None` if it is gone.
#[cfg(unix)]
fn dir_identity(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_identity(dir: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(dir).ok().map(|_| (0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, MetadataKind, RenameMode};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Reads every file of `dir` over and over (as an editor or indexer does) until `stop`, for
    /// at most a minute, counting its passes in `passes`; gives the reads that failed.
    fn hammer(
        dir: PathBuf,
        stop: Arc<AtomicBool>,
        passes: Arc<AtomicUsize>,
    ) -> std::thread::JoinHandle<Vec<String>> {
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            let mut failed = Vec::new();
            while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(60) {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    failed.push(format!("{} is not readable", dir.display()));
                    break;
                };
                for entry in entries.flatten() {
                    let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                    if let (true, Err(e)) = (is_file, std::fs::read(entry.path())) {
                        failed.push(e.to_string());
                    }
                }
                passes.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
            failed
        })
    }

    /// Waits (up to 10 s) until the reader has made more than `after` passes.
    async fn reader_passed(passes: &AtomicUsize, after: usize) {
        let start = std::time::Instant::now();
        while passes.load(Ordering::Relaxed) <= after {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the reader made no pass in 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_hammering_the_rules_directory_does_not_delay_a_reload() {
        let tmp = tempfile::tempdir().unwrap();
        let rules = tmp.path().join("rules");
        let round = rules.join("1400-2");
        crate::rules::test_support::copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"),
            &round,
        );
        let registry = Arc::new(Registry::new(&rules));
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        assert!(
            registry
                .reload_all(Origin::Startup, clock.now())
                .await
                .is_empty()
        );
        // A burst may last 30 s here, so a reload held back by the reads would show clearly.
        let settings = WatchSettings {
            max_delay: Duration::from_secs(30),
            ..WatchSettings::default()
        };
        let watcher = watch(registry.clone(), clock, settings).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let passes = Arc::new(AtomicUsize::new(0));
        let reader = hammer(round.clone(), stop.clone(), passes.clone());
        // Past the watcher's start-up rescan, with the reader reading.
        tokio::time::sleep(Duration::from_millis(500)).await;
        reader_passed(&passes, 0).await;
        let before = passes.load(Ordering::Relaxed);

        let id = RoundId::parse("1400-2").unwrap();
        let path = round.join("criteria.yaml");
        let text = std::fs::read_to_string(&path).unwrap().replacen(
            "en: Office space",
            "en: Usable office space",
            1,
        );
        let saved = std::time::Instant::now();
        std::fs::write(&path, text).unwrap();
        let want = crate::rules::compile::read_source(&round).unwrap().hash;
        while registry.get(id).is_none_or(|rs| rs.hash() != want) {
            assert!(
                saved.elapsed() < Duration::from_secs(10),
                "the edit was not live within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let took = saved.elapsed();
        let during = passes.load(Ordering::Relaxed) - before;
        // Still reading after the reload (how many passes a loaded machine manages is not the
        // point; that the reads went on across the save is).
        reader_passed(&passes, before + during).await;
        stop.store(true, Ordering::Relaxed);
        let failed = reader.join().unwrap();
        watcher.stop().await;
        assert!(failed.is_empty(), "reads failed: {failed:?}");
        assert!(
            took < Duration::from_secs(5),
            "save → live took {took:?} with a reader hammering the directory ({during} passes)"
        );
    }

    fn event(kind: EventKind, paths: &[&str]) -> Signal {
        let mut e = notify::Event::new(kind);
        for p in paths {
            e = e.add_path(PathBuf::from(p));
        }
        Signal::Event(e)
    }

    #[test]
    fn events_map_to_the_rounds_they_touch() {
        let root = Path::new("/srv/rules");
        let mut b = Batch::default();
        b.add(
            root,
            event(
                EventKind::Modify(ModifyKind::Data(DataChange::Content)),
                &["/srv/rules/1400-2/criteria.yaml"],
            ),
        );
        b.add(
            root,
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &[
                    "/srv/rules/1401-1/.criteria.yaml.swp",
                    "/srv/rules/1401-1/criteria.yaml",
                ],
            ),
        );
        b.add(
            root,
            event(
                EventKind::Create(CreateKind::Folder),
                &["/srv/rules/1402-1"],
            ),
        );
        b.add(
            root,
            event(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &[
                    "/srv/rules/regions.yaml",
                    "/srv/rules/notes/x.yaml",
                    "/elsewhere/1400-2/a",
                ],
            ),
        );
        let ids: Vec<String> = b.rounds.iter().map(|r| r.to_string()).collect();
        assert_eq!(ids, ["1400-2", "1401-1", "1402-1"]);
        assert_eq!(
            b.appeared.iter().collect::<Vec<_>>(),
            [Path::new("/srv/rules/1402-1")]
        );
        assert!(!b.everything && b.broken.is_none());
    }

    #[test]
    fn reads_and_metadata_do_not_reload_but_a_lost_root_or_overflow_does() {
        let root = Path::new("/srv/rules");
        let mut b = Batch::default();
        b.add(
            root,
            event(
                EventKind::Access(AccessKind::Open(AccessMode::Any)),
                &["/srv/rules/1400-2/criteria.yaml"],
            ),
        );
        b.add(
            root,
            event(
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                &["/srv/rules/1400-2/criteria.yaml"],
            ),
        );
        b.add(
            root,
            event(
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
                &["/srv/rules/1400-2/criteria.yaml"],
            ),
        );
        assert!(b.rounds.is_empty());
        b.add(
            root,
            event(
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                &["/srv/rules/1400-2/criteria.yaml"],
            ),
        );
        assert_eq!(b.rounds.len(), 1);
        b.add(
            root,
            Signal::Event(
                notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan),
            ),
        );
        assert!(b.everything);
        b.add(
            root,
            event(
                EventKind::Remove(notify::event::RemoveKind::Folder),
                &["/srv/rules"],
            ),
        );
        assert!(b.broken.is_some());
    }
}
