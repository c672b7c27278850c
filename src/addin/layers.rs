//! Checks the layers of the map in `mod.rs`: each file of `src/addin` imports only from its own
//! layer or the ones below, and no files import each other, directly or through others.

use std::collections::BTreeMap;

/// The layers of the map, from the bottom. `fuzzing`, `tests` and this file sit on top.
const LAYERS: [&[&str]; 5] = [
    &["guard", "pin", "wstr", "vtable"],
    &["memory", "connection", "variant", "platform"],
    &["object"],
    &["init_done", "locale", "members", "methods", "extender"],
    &["exports"],
];

fn layer(file: &str) -> Option<usize> {
    LAYERS.iter().position(|files| files.contains(&file))
}

/// The sibling files that `src` names through `super::` or `crate::addin::`, outside its
/// `#[cfg(test)] mod tests`.
fn imports(src: &str) -> Vec<String> {
    let src = src.split("#[cfg(test)]\nmod tests").next().unwrap_or(src);
    let mut found = Vec::new();
    for prefix in ["super::", "crate::addin::"] {
        for (at, _) in src.match_indices(prefix) {
            let mut rest = &src[at + prefix.len()..];
            while let Some(r) = rest.strip_prefix("super::") {
                rest = r;
            }
            let names = match rest.strip_prefix('{') {
                Some(group) => &group[..group.find('}').unwrap_or(group.len())],
                None => {
                    &rest[..rest
                        .find(|c: char| !c.is_alphanumeric() && c != '_')
                        .unwrap_or(rest.len())]
                }
            };
            found.extend(
                names
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .filter(|n| layer(n).is_some())
                    .map(str::to_owned),
            );
        }
    }
    found
}

#[test]
fn files_import_only_from_their_layer_or_below_and_never_in_a_cycle() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/addin");
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if ["mod", "fuzzing", "tests", "layers"].contains(&name.as_str()) {
            continue;
        }
        let own = layer(&name).unwrap_or_else(|| panic!("{name}.rs is in no layer of the map"));
        let mut deps = imports(&std::fs::read_to_string(&path).unwrap());
        deps.retain(|d| *d != name);
        deps.sort();
        deps.dedup();
        for d in &deps {
            assert!(
                layer(d).unwrap() <= own,
                "{name}.rs (layer {own}) imports {d}.rs from a higher layer"
            );
        }
        graph.insert(name, deps);
    }
    // Depth-first search; a file met again while it is on the path closes a cycle.
    fn visit(file: &str, graph: &BTreeMap<String, Vec<String>>, path: &mut Vec<String>) {
        if let Some(i) = path.iter().position(|f| f == file) {
            panic!("import cycle: {} -> {file}", path[i..].join(" -> "));
        }
        path.push(file.to_owned());
        for d in graph.get(file).into_iter().flatten() {
            visit(d, graph, path);
        }
        path.pop();
    }
    for file in graph.keys() {
        visit(file, &graph, &mut Vec::new());
    }
    assert!(graph["extender"].contains(&"methods".to_owned()));
}
