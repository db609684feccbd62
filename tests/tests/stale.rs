//! `assetmap stale`: the assets not confirmed for a while, with where they are and who keeps
//! them, as CSV (defused for spreadsheets) and JSON — checked against the store itself.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_core::{AssetId, ChangeBy, Via};
use assetmap_store::gpkg::GeoPackageStore;
use assetmap_store::{AccountStore, AssetStore};
use assetmap_tests::data_dir;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

fn assetmap(store: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(binary())
        .arg("--store")
        .arg(store)
        .arg("--data")
        .arg(data_dir())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_lists_what_nobody_confirmed_with_its_ward_and_stewards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.gpkg");
    // The first command on a new store makes it as `serve` would: the bundled data.
    let out = assetmap(
        &path,
        &[
            "user",
            "add",
            "--email",
            "Keeper@Example.org",
            "--name",
            "Keepers",
            "--role",
            "steward",
        ],
        "a long enough passphrase\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = GeoPackageStore::open(&path).unwrap();
    let all = store.all().await.unwrap();
    let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
    let by = ChangeBy::system(Via::Verify);
    // Confirmed today: not stale. Confirmed two years ago: stale, with its date.
    let fresh = all[0].verified(today, chrono::Utc::now());
    store.replace(&fresh, &by).await.unwrap();
    let old_date = today - chrono::Duration::days(730);
    let old = all[1].verified(old_date, chrono::Utc::now());
    store.replace(&old, &by).await.unwrap();
    // Closed: needs no check, however old.
    let closed_one = assetmap_core::Asset {
        status: assetmap_core::Status::Closed,
        version: all[3].version + 1,
        ..all[3].clone()
    };
    store.replace(&closed_one, &by).await.unwrap();
    let keeper = store
        .account_by_email("keeper@example.org")
        .await
        .unwrap()
        .unwrap();
    let kept = all[2].id.clone();
    store
        .set_stewardship(&keeper.id, &kept, Some(false))
        .await
        .unwrap();

    let out = assetmap(
        &path,
        &["stale", "--older-than", "6m", "--format", "json"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&Value> = report["assets"].as_array().unwrap().iter().collect();
    let ids: Vec<&str> = listed.iter().map(|a| a["id"].as_str().unwrap()).collect();
    // What the store says: open, and not confirmed within six months.
    let cutoff = today.checked_sub_months(chrono::Months::new(6)).unwrap();
    let now = store.all().await.unwrap();
    let expected = now
        .iter()
        .filter(|a| a.status != assetmap_core::Status::Closed)
        .filter(|a| a.verified_at.is_none_or(|d| d < cutoff))
        .count();
    assert_eq!(listed.len(), expected);
    assert_eq!(report["count"], expected);
    assert!(
        expected > 100 && expected < now.len(),
        "{expected} of {}",
        now.len()
    );
    assert!(
        !ids.contains(&fresh.id.as_str()),
        "confirmed today is not stale"
    );
    let old_row = listed.iter().find(|a| a["id"] == old.id.as_str()).unwrap();
    assert_eq!(old_row["last_checked"], old_date.to_string());
    // Never checked first, the two-year-old check after them.
    let first_checked = listed
        .iter()
        .position(|a| !a["last_checked"].is_null())
        .unwrap();
    assert!(listed[..first_checked]
        .iter()
        .all(|a| a["last_checked"].is_null()));
    let kept_row = listed.iter().find(|a| a["id"] == kept.as_str()).unwrap();
    assert_eq!(kept_row["stewards"], "keeper@example.org");
    assert!(
        kept_row["ward_code"].as_str().unwrap().starts_with("E05"),
        "{kept_row}"
    );
    assert!(listed
        .iter()
        .filter(|a| a["id"] != kept.as_str())
        .all(|a| a["stewards"].is_null()));
    let closed: Vec<AssetId> = now
        .iter()
        .filter(|a| a.status == assetmap_core::Status::Closed)
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(closed, vec![closed_one.id.clone()]);
    assert!(
        !ids.contains(&closed_one.id.as_str()),
        "a closed place needs no check"
    );

    // The same as CSV: a byte-order mark, the header, one line per asset.
    let out = assetmap(&path, &["stale", "--format", "csv"], "");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,name,last_checked,status,source,ward_code,ward_name,categories,stewards")
    );
    assert_eq!(lines.count(), expected);

    let out = assetmap(&path, &["stale", "--older-than", "six months"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--older-than"));
}

/// On a fresh clone `stale` may be the first command: it leaves the store a first start would
/// have made (the bundled data), not an empty file that `serve` would then never fill.
#[test]
fn stale_as_the_first_command_makes_the_store_as_serve_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.gpkg");
    let out = assetmap(&path, &["stale", "--format", "json"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = report["count"].as_u64().unwrap();
    assert!(listed > 1000, "the bundled data, never checked: {listed}");
}
