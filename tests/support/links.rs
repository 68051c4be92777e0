//! A check of the relative links of markdown files: every link to a file of the repository names one that
//! exists, and every `#anchor` names a heading of its page, as GitHub makes heading anchors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// What a markdown file holds for this check: its links (with their line) and its headings' anchors.
struct Page {
    links: Vec<(usize, String)>,
    anchors: Vec<String>,
}

/// GitHub's anchor for a heading: lower case, every character but letters, digits, spaces, `-` and `_`
/// dropped, spaces turned into `-`.
pub fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn read(path: &Path) -> Page {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let mut page = Page {
        links: Vec::new(),
        anchors: Vec::new(),
    };
    let mut heading: Option<String> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (event, range) in Parser::new(&text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(
                HeadingLevel::H1
                | HeadingLevel::H2
                | HeadingLevel::H3
                | HeadingLevel::H4
                | HeadingLevel::H5
                | HeadingLevel::H6,
            )) => {
                let base = anchor(&heading.take().unwrap_or_default());
                let n = seen.entry(base.clone()).or_insert(0);
                page.anchors.push(if *n == 0 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                });
                *n += 1;
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                page.links
                    .push((line_of(range.start), dest_url.to_string()));
            }
            _ => {}
        }
    }
    page
}

/// Every broken relative link of `files`, as `FILE:LINE: what is wrong`.
pub fn broken_links(files: &[PathBuf]) -> Vec<String> {
    let mut pages: HashMap<PathBuf, Page> = HashMap::new();
    let mut broken = Vec::new();
    for file in files {
        let page = read(file);
        for (line, link) in &page.links {
            // Other sites, mail: not this check's business.
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = link
                .split_once('#')
                .map_or((link.as_str(), None), |(p, f)| (p, Some(f)));
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap_or(Path::new(".")).join(path)
            };
            if !target.exists() {
                broken.push(format!("{}:{line}: `{link}`: no such file", file.display()));
                continue;
            }
            let Some(fragment) = fragment.filter(|_| target.extension().is_some_and(|e| e == "md"))
            else {
                continue;
            };
            let key = target.canonicalize().unwrap_or(target.clone());
            let anchors = &pages.entry(key).or_insert_with(|| read(&target)).anchors;
            if !anchors.iter().any(|a| a == fragment) {
                broken.push(format!(
                    "{}:{line}: `{link}`: no heading makes the anchor `#{fragment}`",
                    file.display()
                ));
            }
        }
    }
    broken
}

/// The markdown files whose links are checked: the README, CONTRIBUTING.md, the benchmarks' README and
/// everything under `docs/`.
pub fn documentation(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "benches/README.md"]
        .iter()
        .map(|f| root.join(f))
        .filter(|f| f.is_file())
        .collect();
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
