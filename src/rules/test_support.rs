//! Helpers for tests that edit a copy of an example round.

use std::path::{Path, PathBuf};

/// Copies the 1400-2 example into a temporary directory named like the round.
pub fn example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("1400-2");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2");
    copy_dir(&src, &dir);
    (tmp, dir)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Replaces `old` (which must occur exactly once) in one file of the round.
pub fn edit(dir: &Path, file: &str, old: &str, new: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches(old).count(),
        1,
        "`{old}` must occur once in {file}"
    );
    std::fs::write(path, text.replace(old, new)).unwrap();
}

pub fn line_of(dir: &Path, file: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in file") as u32
        + 1
}
