//! The architecture test: reads `src/` and fails when a room (a top-level module) uses one it must
//! not. The arrows are in [`ALLOWED`], explained in `docs/architecture.md`.
//!
//! It follows the module tree from `lib.rs` (so test-only files are left out), drops comments,
//! string literals and `#[cfg(test)]` items, and takes every `crate::room` path and every `super::`
//! path that climbs out of its room, in `use` groups and macro bodies alike. Tests may cross rooms
//! (a compiler test may run the engine); production code may not.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Which rooms each room may use. A room uses itself freely; a room missing here may use nothing.
/// Top to bottom: the front ends (`cli`, `http` with the pages it mounts, `web`), the application layer (`app`), then the rooms it
/// orchestrates, down to `domain`, which uses nothing.
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "cli",
        &[
            "app",
            "http",
            "live",
            "workflow",
            "store",
            "engine",
            "rules",
            "population",
            "report",
            "accounts",
            "config",
            "clock",
            "domain",
        ],
    ),
    (
        "http",
        &[
            "web",
            "app",
            "live",
            "workflow",
            "engine",
            "rules",
            "population",
            "report",
            "accounts",
            "config",
            "clock",
            "domain",
        ],
    ),
    // The pages: they call the application layer, and sign in through the port `http` implements.
    (
        "web",
        &["app", "workflow", "accounts", "config", "clock", "domain"],
    ),
    (
        "app",
        &[
            "live",
            "workflow",
            "store",
            "engine",
            "rules",
            "population",
            "report",
            "accounts",
            "config",
            "clock",
            "domain",
        ],
    ),
    // The store implements the live room's ports (the version log, the publication check).
    ("store", &["live", "rules", "accounts", "domain"]),
    ("live", &["engine", "rules", "clock", "domain"]),
    ("workflow", &["engine", "rules", "clock", "domain"]),
    ("report", &["engine", "rules", "domain"]),
    ("population", &["engine", "rules", "domain"]),
    ("engine", &["rules", "domain"]),
    ("rules", &["domain"]),
    ("accounts", &["config", "clock", "domain"]),
    ("config", &["domain"]),
    ("clock", &["domain"]),
    ("domain", &[]),
];

/// One use of another room: `from` (a file in room `from_room`) names room `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Arrow {
    from_room: String,
    to: String,
    file: PathBuf,
}

fn allowed(from: &str, to: &str) -> bool {
    from == to
        || ALLOWED
            .iter()
            .any(|(room, uses)| *room == from && uses.contains(&to))
}

/// The source with comments, string and char literals blanked (lifetimes kept).
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !word_before(&b, i) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < b.len()
                && !(b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')))
            {
                j += 1;
            }
            i = j + 1 + hashes;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (next == Some('\\') || b.get(i + 2) == Some(&'\'')) {
            // A char literal ('x', '\n', '\'', '\u{..}'); a lifetime ('a) has no closing quote.
            i += if next == Some('\\') { 3 } else { 2 };
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn word_before(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// The stripped source without `#[cfg(test)]` items (an attribute and the item after it).
fn without_test_items(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at its first `;` outside braces, or where its first `{ … }` closes.
        let mut depth = 0usize;
        let mut end = rest.len();
        for (k, ch) in rest.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The identifiers of a path's segments after `start` (`crate`, `super`), following `::`, and,
/// for a `{…}` group, the first segment of each member.
fn paths_after(s: &str, start: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(k) = s[from..].find(start) {
        let at = from + k;
        from = at + start.len();
        let boundary_before =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let after = &s[at + start.len()..];
        if !boundary_before || !after.trim_start().starts_with("::") {
            continue;
        }
        // Segments: start :: a :: b …, stopping at anything else.
        let mut segs = vec![start.to_string()];
        let mut rest = after;
        loop {
            let t = rest.trim_start();
            let Some(t) = t.strip_prefix("::") else { break };
            let t = t.trim_start();
            if let Some(group) = t.strip_prefix('{') {
                let end = matching_brace(group);
                for member in split_top_level(&group[..end]) {
                    let mut full = segs.clone();
                    full.extend(idents(member));
                    found.push(full);
                }
                segs.clear();
                break;
            }
            let word: String = t
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if word.is_empty() {
                break;
            }
            rest = &t[word.len()..];
            segs.push(word);
        }
        if !segs.is_empty() {
            found.push(segs);
        }
    }
    found
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 1usize;
    for (k, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    s.len()
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (k, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&s[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn idents(member: &str) -> Vec<String> {
    member
        .split("::")
        .map(|w| {
            w.trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .take_while(|w| !w.is_empty())
        .collect()
}

/// The rooms a module's code uses: `module` is its path from the crate root (`["rules",
/// "compile"]`), `code` its stripped source.
fn rooms_used(module: &[String], code: &str) -> BTreeSet<String> {
    let mut rooms = BTreeSet::new();
    for path in paths_after(code, "crate") {
        if let Some(room) = path.get(1) {
            rooms.insert(room.clone());
        }
    }
    for path in paths_after(code, "super") {
        let mut base = module.to_vec();
        let mut segs = path.iter().peekable();
        while segs.next_if(|s| *s == "super").is_some() {
            base.pop();
        }
        base.extend(segs.cloned());
        if let Some(room) = base.first() {
            rooms.insert(room.clone());
        }
    }
    rooms
}

/// The modules a file declares (`mod x;`), outside test items.
fn declared_modules(code: &str) -> Vec<String> {
    let mut mods = Vec::new();
    for (k, _) in code.match_indices("mod ") {
        let before = code[..k].trim_end();
        let at_item_start = before.is_empty()
            || before.ends_with([';', '}', '{', ']'])
            || before.ends_with("pub")
            || before.ends_with(')');
        if (k > 0 && !code[..k].ends_with(char::is_whitespace)) || !at_item_start {
            continue;
        }
        let name: String = code[k + 4..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after = code[k + 4..].trim_start()[name.len()..].trim_start();
        if !name.is_empty() && after.starts_with(';') {
            mods.push(name);
        }
    }
    mods
}

/// Every arrow between rooms in the crate rooted at `src` (following `mod` declarations).
fn arrows(src: &Path) -> Vec<Arrow> {
    let mut out = Vec::new();
    let mut queue: Vec<(Vec<String>, PathBuf)> = vec![(Vec::new(), src.join("lib.rs"))];
    while let Some((module, file)) = queue.pop() {
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let code = without_test_items(&strip(&text));
        if let Some(room) = module.first() {
            for to in rooms_used(&module, &code) {
                if to != *room {
                    out.push(Arrow {
                        from_room: room.clone(),
                        to,
                        file: file.clone(),
                    });
                }
            }
        }
        let dir = if module.is_empty() || file.ends_with("mod.rs") {
            file.parent().expect("in a directory").to_path_buf()
        } else {
            file.with_extension("")
        };
        for name in declared_modules(&code) {
            let mut child = module.clone();
            child.push(name.clone());
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(&name).join("mod.rs");
            queue.push((child, if flat.exists() { flat } else { nested }));
        }
    }
    out.sort();
    out
}

/// The arrows that break the rules, one line each.
fn violations(arrows: &[Arrow]) -> Vec<String> {
    arrows
        .iter()
        .filter(|a| !allowed(&a.from_room, &a.to))
        .map(|a| format!("{} uses {} in {}", a.from_room, a.to, a.file.display()))
        .collect()
}

#[test]
fn no_room_uses_a_room_it_must_not() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = arrows(&src);
    assert!(
        found
            .iter()
            .any(|a| a.from_room == "live" && a.to == "engine"),
        "the walk sees the arrows that are there: {found:#?}"
    );
    let wrong = violations(&found);
    assert!(
        wrong.is_empty(),
        "rooms that use what they must not (see docs/architecture.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn a_deliberately_wrong_import_fails_the_architecture_test() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path();
    let write = |rel: &str, text: &str| {
        let path = src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod domain;\npub mod engine;\npub mod rules;\npub mod http;\n#[cfg(test)]\nmod checks;\n",
    );
    write("domain.rs", "pub struct RoundId;\n");
    write("http.rs", "pub fn serve() {}\n");
    write("checks.rs", "use crate::http::serve;\n");
    write(
        "rules/mod.rs",
        "mod compile;\nuse crate::domain::RoundId;\n// crate::http::serve in a comment\nconst S: &str = \"crate::http\";\n#[cfg(test)]\nmod tests { use crate::engine::x; }\n",
    );
    write(
        "rules/compile.rs",
        "use super::super::{domain, engine::score};\n",
    );
    write(
        "engine/mod.rs",
        "pub fn score() { tracing::info!(\"{}\", crate::domain::RoundId); }\nfn f() -> u8 { crate :: http :: serve(); b'\\'' }\n",
    );
    assert_eq!(
        violations(&arrows(src)),
        vec![
            format!(
                "engine uses http in {}",
                src.join("engine/mod.rs").display()
            ),
            format!(
                "rules uses engine in {}",
                src.join("rules/compile.rs").display()
            ),
        ]
    );
}

#[test]
fn use_groups_and_nested_paths_name_the_room_they_start_in() {
    let code = strip(
        "use crate::{domain::{Fixed, RoundId}, rules::RuleSet as R};\nlet x = 'a';\nfn f<'a>() {}\n",
    );
    let rooms = rooms_used(&["engine".to_string()], &code);
    assert_eq!(
        rooms.into_iter().collect::<Vec<_>>(),
        vec!["domain".to_string(), "rules".to_string()]
    );
}
