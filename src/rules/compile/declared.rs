//! Names declared in a round's files, kept even for entries that failed to load, so a reference
//! to a broken entry is not reported a second time as unknown.

use std::collections::HashSet;

use crate::rules::yaml;

/// Names declared in a round's files, including entries that failed to load, and whether a file
/// that could not be read may declare more. A reference is reported as unknown only when it is
/// certainly wrong, so one broken entry or file gives one diagnostic, not one per reference to it.
#[derive(Default)]
pub(super) struct Declared {
    pub(super) criteria: Names,
    pub(super) inputs: Names,
    pub(super) penalties: Names,
    /// Top-level sections written in files that were read (whether or not they loaded).
    sections: HashSet<String>,
    /// Sections that files with YAML syntax errors may hold; `None` in the set means any.
    unread: HashSet<Option<String>>,
}

#[derive(Default)]
pub(super) struct Names {
    pub(super) names: HashSet<String>,
    /// Some entries could not even be named (a broken file, an item without an id).
    pub(super) unknown: bool,
}

impl Names {
    /// Whether a reference to `name` is certainly to nothing declared.
    pub(super) fn lacks(&self, name: &str) -> bool {
        !self.unknown && !self.names.contains(name)
    }

    /// Whether every declared entry is among `loaded`.
    pub(super) fn all_in(&self, loaded: &[&str]) -> bool {
        !self.unknown && self.names.iter().all(|n| loaded.contains(&n.as_str()))
    }

    /// Ids of the items of a `criteria:` or `penalties:` list.
    fn add_ids(&mut self, list: &yaml::Node) {
        match &list.value {
            yaml::NodeValue::Seq(items) => {
                for item in items {
                    let id = match &item.value {
                        yaml::NodeValue::Map(entries) => entries
                            .iter()
                            .find(|(k, _)| k.value == yaml::NodeValue::Str("id".into()))
                            .and_then(|(_, v)| scalar_text(v)),
                        _ => None,
                    };
                    match id {
                        Some(id) => {
                            self.names.insert(id);
                        }
                        None => self.unknown = true,
                    }
                }
            }
            yaml::NodeValue::Null => {}
            _ => self.unknown = true,
        }
    }

    /// The keys of the `inputs:` mapping.
    fn add_keys(&mut self, map: &yaml::Node) {
        match &map.value {
            yaml::NodeValue::Map(entries) => {
                for (k, _) in entries {
                    match scalar_text(k) {
                        Some(name) => {
                            self.names.insert(name);
                        }
                        None => self.unknown = true,
                    }
                }
            }
            yaml::NodeValue::Null => {}
            _ => self.unknown = true,
        }
    }
}

fn scalar_text(node: &yaml::Node) -> Option<String> {
    match &node.value {
        yaml::NodeValue::Str(s) => Some(s.clone()),
        yaml::NodeValue::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

impl Declared {
    /// Everything a rule file that parsed declares.
    pub(super) fn add_file(&mut self, node: &yaml::Node) {
        let yaml::NodeValue::Map(entries) = &node.value else {
            return;
        };
        for (k, v) in entries {
            let Some(section) = scalar_text(k) else {
                continue;
            };
            match section.as_str() {
                "criteria" => self.criteria.add_ids(v),
                "penalties" => self.penalties.add_ids(v),
                "inputs" => self.inputs.add_keys(v),
                _ => {}
            }
            self.sections.insert(section);
        }
    }

    /// A rule file with a YAML syntax error: the sections its lines seem to start may hold anything.
    pub(super) fn add_unread(&mut self, text: &str) {
        let sections: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once(':').map(|(key, _)| key.trim_end()))
            .filter(|key| key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        if sections.is_empty() {
            self.unread.insert(None);
        }
        for s in sections {
            self.unread.insert(Some(s.to_string()));
        }
        for (name, names) in [
            ("criteria", &mut self.criteria),
            ("inputs", &mut self.inputs),
            ("penalties", &mut self.penalties),
        ] {
            if self.unread.contains(&None) || self.unread.contains(&Some(name.to_string())) {
                names.unknown = true;
            }
        }
    }

    /// Whether a section may exist in some file, loaded or not (a misspelled section name is
    /// reported as an unknown key with "did you mean").
    pub(super) fn may_have(&self, section: &str) -> bool {
        const SECTIONS: [&str; 7] = [
            "round",
            "calendar",
            "inputs",
            "criteria",
            "penalties",
            "grading",
            "ranking",
        ];
        self.sections
            .iter()
            .chain(self.unread.iter().flatten())
            .any(|k| {
                k == section
                    || (!SECTIONS.contains(&k.as_str())
                        && crate::rules::diagnostic::did_you_mean(k, [section]).is_some())
            })
            || self.unread.contains(&None)
    }
}
