//! The crate's layers, checked by reading `src/`: no file imports from a higher layer than its
//! own (the order is the list under "# Layers" in `src/lib.rs`'s map), and no files import each
//! other in a cycle, directly or through others.
//!
//! An import is any path in a file's code (a `use`, or a path written inline) that starts at
//! `crate`, `super`, `self` or a child module, resolved to the file that defines its longest
//! prefix; a `mod x;` declaration is not an import, nor is the file's own `#[cfg(test)] mod
//! tests`. Pure reading of text: nothing here builds or runs the crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, by its path relative to `src/` (with `/`), and its text.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy();
                out.insert(
                    rel.replace('\\', "/"),
                    std::fs::read_to_string(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src_dir(), &src_dir(), &mut out);
    out
}

/// The module path of a file: `transport/mod.rs` → `["transport"]`, `lib.rs` → `[]`.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Semi,
    Star,
    Other,
}

/// The tokens of Rust code that matter for paths; comments, strings, chars and lifetimes are
/// skipped (so `"ws://x"` is not mistaken for anything).
fn tokens(code: &str) -> Vec<Token> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if ch == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if ch == 'r' && matches!(c.get(i + 1), Some('#' | '"')) && {
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            c.get(j) == Some(&'"')
        } {
            // r"…" or r#"…"#: ends at a quote followed by as many #.
            let mut j = i + 1;
            let mut hashes = 0;
            while c[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|k| c.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
        } else if ch == '\'' {
            // A char literal ('a', '\n', '\'') or a lifetime ('a).
            if c.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(c[start..i].iter().collect()));
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(match ch {
                '{' => Token::Open,
                '}' => Token::Close,
                ',' => Token::Comma,
                ';' => Token::Semi,
                '*' => Token::Star,
                _ => Token::Other,
            });
            i += 1;
        }
    }
    out
}

/// Reads a path (or a `use` tree) at `t[*i]`: every full path it names, as segments.
fn read_paths(t: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    loop {
        match t.get(*i) {
            Some(Token::Ident(name)) => {
                path.push(name.clone());
                *i += 1;
            }
            Some(Token::Open) => {
                // A group: each item is a path under `path`; `self` names `path` itself.
                *i += 1;
                loop {
                    match t.get(*i) {
                        Some(Token::Close) => {
                            *i += 1;
                            return;
                        }
                        Some(Token::Comma) => *i += 1,
                        Some(Token::Ident(name)) if name == "self" => {
                            out.push(path.clone());
                            *i += 1;
                        }
                        Some(Token::Ident(_) | Token::Open) => read_paths(t, i, &path, out),
                        None => return,
                        Some(_) => *i += 1,
                    }
                }
            }
            _ => {
                out.push(path);
                return;
            }
        }
        if t.get(*i) == Some(&Token::PathSep) {
            *i += 1;
        } else {
            // `x as y` and the like end the path here.
            if let Some(Token::Ident(word)) = t.get(*i) {
                if word == "as" {
                    *i += 2;
                }
            }
            out.push(path);
            return;
        }
    }
}

/// The files `file` imports.
fn imports_of(file: &str, text: &str, files: &BTreeMap<String, String>) -> BTreeSet<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(cut) => &text[..cut],
        None => text,
    };
    let t = tokens(code);
    let me = module_of(file);
    let children: BTreeSet<String> = t
        .windows(3)
        .filter_map(|w| match w {
            [Token::Ident(m), Token::Ident(name), Token::Semi] if m == "mod" => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let starts_path = matches!(&t[i], Token::Ident(_))
            && matches!(t.get(i + 1), Some(Token::PathSep))
            && (i == 0 || t[i - 1] != Token::PathSep);
        if starts_path {
            read_paths(&t, &mut i, &[], &mut paths);
        } else {
            i += 1;
        }
    }
    let mut out = BTreeSet::new();
    for path in paths {
        let (head, rest) = path.split_first().unwrap();
        let absolute: Vec<String> = match head.as_str() {
            "crate" => match rest.first().map(String::as_str) {
                // #[macro_export] puts `text!` at the crate root; it lives in lang.rs.
                Some("text") => vec!["lang".into()],
                _ => rest.to_vec(),
            },
            "super" => me[..me.len() - 1].iter().chain(rest).cloned().collect(),
            "self" => me.iter().chain(rest).cloned().collect(),
            child if children.contains(child) => me.iter().chain(&path).cloned().collect(),
            _ => continue,
        };
        if let Some(target) = file_of(&absolute, files) {
            if target != file && target != "lib.rs" {
                out.insert(target);
            }
        }
    }
    out
}

/// The file that defines the longest prefix of `path`.
fn file_of(path: &[String], files: &BTreeMap<String, String>) -> Option<String> {
    (0..=path.len()).rev().find_map(|n| {
        if n == 0 {
            return Some("lib.rs".to_owned());
        }
        let base = path[..n].join("/");
        [format!("{base}.rs"), format!("{base}/mod.rs")]
            .into_iter()
            .find(|f| files.contains_key(f))
    })
}

/// The layers from `lib.rs`'s map: each line under "# Layers" that starts with a number lists
/// its top-level modules in backticks, lowest layer first.
fn layers(lib: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        let doc = doc.trim();
        if doc.starts_with('#') {
            inside = doc == "# Layers";
            continue;
        }
        let Some((number, names)) = doc.split_once(". ") else {
            continue;
        };
        let Ok(level) = number.parse::<usize>() else {
            continue;
        };
        if !inside {
            continue;
        }
        for name in names.split('`').skip(1).step_by(2) {
            out.insert(name.to_owned(), level);
        }
    }
    out
}

fn top_module(file: &str) -> String {
    file.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_owned()
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = sources();
    files
        .iter()
        .map(|(f, text)| (f.clone(), imports_of(f, text, &files)))
        .collect()
}

/// The strongly connected components with more than one file (Tarjan), each sorted.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found.sort();
    state.found
}

#[test]
fn no_file_imports_a_higher_layer() {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    let layer = layers(&lib);
    let graph = graph();
    let mut wrong = Vec::new();
    for (file, imports) in &graph {
        if file == "lib.rs" {
            continue;
        }
        let Some(&mine) = layer.get(&top_module(file)) else {
            wrong.push(format!("{file}: its module is in no layer of lib.rs's map"));
            continue;
        };
        for target in imports {
            let theirs = layer[&top_module(target)];
            if theirs > mine {
                wrong.push(format!(
                    "{file} (layer {mine}) imports {target} (layer {theirs})"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point up:\n{}",
        wrong.join("\n")
    );
    // The test reads what it thinks it reads.
    assert!(graph["transport/dial.rs"].contains("config.rs"));
    assert!(graph["component/mod.rs"].contains("actors/mod.rs"));
    assert!(layer["rt"] < layer["protocol"] && layer["component"] < layer["addin"]);
}

#[test]
fn no_files_import_each_other_in_a_cycle() {
    let found = cycles(&graph());
    assert!(found.is_empty(), "import cycles:\n{found:#?}");
}

#[test]
fn the_reader_sees_paths_in_use_trees_and_code_only() {
    let mut files = BTreeMap::new();
    for f in ["lib.rs", "a/mod.rs", "a/b.rs", "a/c.rs", "d.rs"] {
        files.insert(f.to_owned(), String::new());
    }
    let text = "use super::{b::{self, X}, c as see};\nmod e;\n// crate::d::Y\nfn f() { let s = \"crate::d\"; let c = '\\''; crate::d::g::<'static>(); }\n";
    let got = imports_of("a/b.rs", text, &files);
    let want: BTreeSet<String> = ["a/c.rs", "d.rs"].iter().map(|s| s.to_string()).collect();
    assert_eq!(got, want);
}
