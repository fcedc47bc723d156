//! `cargo xtask modules`: the module graph of every crate, from the `crate::` paths of each
//! source file (test modules left out), checked for cycles.
//!
//! A path to an item re-exported by the crate root (`crate::FitError`) counts as a dependency
//! on the module the root re-exports it from (`pub use error::FitError;`); an item defined in
//! the root itself counts as a dependency on the root, which has no edges of its own (its
//! `mod` and `pub use` lines are the crate's table of contents, not dependencies).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context as _, bail};

/// The module graph of one crate: module -> the modules it uses.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source without `#[cfg(test)]` items (the test module of a file may use anything).
fn strip_tests(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        // Skip the item: up to the end of its first balanced brace block, or a `;` before it.
        let mut depth = 0usize;
        let mut end = after.len();
        for (j, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = j + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Drops `//` comments (doc comments name other modules in links and prose).
fn strip_comments(src: &str) -> String {
    src.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// The first path segments after `crate::` in `src`, including those inside `crate::{a, b::c}`.
fn crate_paths(src: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in src.match_indices("crate::") {
        let after = &src[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // The group ends at its matching brace; take the first segment of each entry.
            let mut level = 1usize;
            let close = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => level += 1,
                        '}' => level -= 1,
                        _ => {}
                    }
                    level == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0usize;
            let mut start = 0usize;
            let body = &group[..close];
            for (j, c) in body.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => {
                        let id = ident_at(body[start..j].trim());
                        if !id.is_empty() {
                            out.insert(id.to_string());
                        }
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            let id = ident_at(body[start..].trim());
            if !id.is_empty() {
                out.insert(id.to_string());
            }
        } else {
            let id = ident_at(after);
            if !id.is_empty() {
                out.insert(id.to_string());
            }
        }
    }
    out
}

/// `pub use module::{A, B};` and `pub use module::A;` lines of a crate root: item -> module.
fn root_reexports(root: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let flat = strip_comments(root).replace('\n', " ");
    for stmt in flat.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim();
        let module = ident_at(rest);
        if !modules.contains(module) {
            continue;
        }
        let tail = rest[module.len()..].trim_start_matches("::");
        let items: Vec<&str> = match tail.strip_prefix('{') {
            Some(g) => g.trim_end_matches('}').split(',').collect(),
            None => vec![tail],
        };
        for item in items {
            let name = item.rsplit("::").next().unwrap_or("").trim();
            let name = name.split(" as ").last().unwrap_or(name).trim();
            if !name.is_empty() {
                map.insert(name.to_string(), module.to_string());
            }
        }
    }
    map
}

/// The module graph of the crate whose sources are in `src` (flat modules, `lib.rs` or
/// `main.rs` as the root).
pub fn graph(src: &Path) -> anyhow::Result<Graph> {
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "rs") {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&p)?;
            files
                .entry(stem)
                .or_insert_with(String::new)
                .push_str(&text);
        } else if p.join("mod.rs").is_file() {
            // A module folder: its files together are the module (their `crate::` paths are
            // the module's dependencies; its submodules are internal to it).
            let name = p
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut text = String::new();
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let mut entries: Vec<_> = std::fs::read_dir(&dir)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .collect();
                entries.sort();
                for f in entries {
                    if f.is_dir() {
                        stack.push(f);
                    } else if f.extension().is_some_and(|x| x == "rs") {
                        text.push_str(&std::fs::read_to_string(&f)?);
                        text.push('\n');
                    }
                }
            }
            files
                .entry(name)
                .or_insert_with(String::new)
                .push_str(&text);
        }
    }
    let root_name = if files.contains_key("lib") {
        "lib"
    } else {
        "main"
    };
    let root = files.get(root_name).cloned().unwrap_or_default();
    let modules: BTreeSet<String> = files
        .keys()
        .filter(|k| k.as_str() != root_name)
        .cloned()
        .collect();
    let reexports = root_reexports(&root, &modules);
    let mut g = Graph::new();
    for (name, text) in &files {
        if name == root_name {
            continue;
        }
        let code = strip_comments(&strip_tests(text));
        let mut deps = BTreeSet::new();
        for seg in crate_paths(&code) {
            let target = if modules.contains(&seg) {
                seg
            } else if let Some(m) = reexports.get(&seg) {
                m.clone()
            } else {
                root_name.to_string()
            };
            if &target != name {
                deps.insert(target);
            }
        }
        g.insert(name.clone(), deps);
    }
    Ok(g)
}

/// A cycle of `g`, if it has one (as the list of modules along it).
pub fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &Graph,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// Checks every crate under `root/crates` and `root/xtask`; prints each graph when `print`.
pub fn check(root: &Path, print: bool) -> anyhow::Result<()> {
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("src")))
        .filter(|p| p.is_dir())
        .collect();
    dirs.push(root.join("xtask/src"));
    dirs.sort();
    let mut failures = Vec::new();
    for d in dirs {
        let g = graph(&d)?;
        let name = d
            .parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if print {
            println!("{name}:");
            for (m, deps) in &g {
                let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
                println!("  {m} -> {}", deps.join(", "));
            }
        }
        if let Some(c) = find_cycle(&g) {
            failures.push(format!("{name}: {}", c.join(" -> ")));
        }
    }
    if !failures.is_empty() {
        bail!("module cycles:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_groups_and_tests() {
        let src = "use crate::a::X;\nuse crate::{b, c::{D, E}, F};\n// crate::zz in a comment\n\
                   fn f() { crate::g::h(); }\n#[cfg(test)]\nmod tests { use crate::t; }\n";
        let code = strip_comments(&strip_tests(src));
        let p: Vec<String> = crate_paths(&code).into_iter().collect();
        assert_eq!(p, ["F", "a", "b", "c", "g"]);
    }

    #[test]
    fn cycles_are_found_and_dags_pass() {
        let mut g = Graph::new();
        g.insert("a".into(), ["b".to_string()].into());
        g.insert("b".into(), ["c".to_string()].into());
        g.insert("c".into(), BTreeSet::new());
        assert!(find_cycle(&g).is_none());
        g.get_mut("c").unwrap().insert("a".into());
        assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    }

    #[test]
    fn reexports_map_items_to_their_modules() {
        let modules: BTreeSet<String> = ["error".to_string(), "model".to_string()].into();
        let m = root_reexports(
            "pub use error::{FitError, ParamError};\npub use model::Model as M;\npub use other::Z;",
            &modules,
        );
        assert_eq!(m.get("FitError").map(String::as_str), Some("error"));
        assert_eq!(m.get("M").map(String::as_str), Some("model"));
        assert!(!m.contains_key("Z"));
    }

    /// The workspace itself: no crate has a module cycle.
    #[test]
    fn the_workspace_has_no_module_cycle() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        check(root, false).unwrap();
    }
}
