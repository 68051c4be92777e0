//! The documentation: every relative link and `#anchor` of the README and `docs/` resolves, and the check
//! itself finds what it must.

use std::path::Path;

use crate::support::links::{anchor, broken_links, documentation};

#[test]
fn every_relative_link_and_anchor_of_the_documentation_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = documentation(root);
    assert!(
        files.iter().any(|f| f.ends_with("docs/README.md")),
        "the docs folder was not read: {files:?}"
    );
    let broken = broken_links(&files);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_check_finds_missing_files_and_anchors() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(
        dir.path().join("README.md"),
        "# Top\n\n## Set up\n\n[ok](docs/guide.md#a-b_c) [here](#set-up) [site](https://example.com/x)\n\
         [gone](docs/missing.md)\n[bad anchor](docs/guide.md#nope)\n[dup](docs/guide.md#twice-1)\n",
    )
    .unwrap();
    std::fs::write(
        docs.join("guide.md"),
        "# Guide\n\n## A `b_c`!\n\n## Twice\n\n## Twice\n\n[back](../README.md#top) [self](#nowhere)\n",
    )
    .unwrap();
    let broken = broken_links(&documentation(dir.path()));
    let text = broken.join("\n");
    assert_eq!(broken.len(), 3, "{text}");
    assert!(
        text.contains("README.md:6: `docs/missing.md`: no such file"),
        "{text}"
    );
    assert!(
        text.contains("README.md:7: `docs/guide.md#nope`: no heading"),
        "{text}"
    );
    assert!(
        text.contains("guide.md:9: `#nowhere`: no heading"),
        "{text}"
    );
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(
        anchor("Delivering dispatches (`dispatcher dispatch`)"),
        "delivering-dispatches-dispatcher-dispatch"
    );
    assert_eq!(
        anchor("Reference: `.github/ecosync.json`"),
        "reference-githubecosyncjson"
    );
    assert_eq!(anchor("What 1,000 targets cost"), "what-1000-targets-cost");
}
