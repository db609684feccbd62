//! Real Python clients against the real server: schemathesis checks the whole API against its
//! own OpenAPI document (`/api`): every answer's status, headers and body are the ones the
//! document declares, what it calls invalid is refused and what it calls valid is accepted.
//!
//! The clients come from `tests/clients/requirements.txt` (pinned), installed by
//! `bash tests/run.sh` into a throwaway virtual environment named by
//! `ASSETMAP_TEST_CLIENTS_BIN`; without it these tests fail and say so.

use assetmap_tests::{ServerProcess, ADMIN_TOKEN};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// A Python client's executable in the test command's virtual environment.
fn client(name: &str) -> PathBuf {
    let bin = assetmap_testing::required_env("ASSETMAP_TEST_CLIENTS_BIN");
    let path = Path::new(&bin).join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests through `bash tests/run.sh`, which installs \
         tests/clients/requirements.txt into a virtual environment",
        path.display()
    );
    path
}

/// A server on a fresh GeoPackage seeded with the bundled data.
fn server(dir: &tempfile::TempDir) -> ServerProcess {
    let store = dir.path().join("assets.gpkg");
    let args = [
        "--store",
        store.to_str().expect("utf-8 path"),
        "serve",
        "--bind",
        "127.0.0.1:0",
    ];
    ServerProcess::start(binary(), &args, &[], Duration::from_secs(120))
}

/// Runs `cmd`, printing its output, and fails the test with it unless it succeeds.
fn run(mut cmd: Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// Every operation of `/api`, reads and writes (with the admin token), with a bounded number of
/// generated examples and a fixed seed, so a run is repeatable and a failure can be replayed.
/// Three runs against one server:
///
/// 1. every operation, the checks that hold the server to its document: no 5xx, and every
///    status, content type, header and body as documented (`not_a_server_error`,
///    `status_code_conformance`, `content_type_conformance`, `response_headers_conformance`,
///    `response_schema_conformance`, and the others of `all` but the two below);
/// 2. `negative_data_rejection` ("a request the document calls invalid is refused") on every
///    operation but the item lists, where a `limit` above 10,000 is taken as 10,000, as OGC API
///    Features requires, not refused;
/// 3. `positive_data_acceptance` ("a request the document calls valid is accepted") on every
///    operation but those whose rules OpenAPI 3.0 cannot state (the parameter descriptions say
///    them in words, and the 400 names the parameter): `/search` needs postcode, or lon and lat
///    (one of two sets); `/shortlist` takes lon and lat together; `/oruk/service_at_locations`
///    takes `proximity` only with a `postcode`, and only a postcode of the place's table; the asset items,
///    `/map/points` and the asset downloads take a `bbox` whose numbers must be longitudes and
///    latitudes with south below north (a schema cannot range-check positions in an array); and
///    `PUT` on an asset, whose field rules (visible text, postcode and phone shapes, times that
///    close after they open) go beyond JSON Schema (a refused write is a 422 naming each field;
///    `POST` is checked), and for the same reason a suggestion (`makeSuggestion`: merged onto
///    the place it must make a valid asset; a new place needs a name and a pin) and accepting
///    one with an edited Feature (`acceptSuggestion`). Without the stateful phase, which chains one operation's values into
///    another's parameters.
#[test]
fn schemathesis_finds_the_api_as_its_document_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = server(&dir);
    let runs: [(&str, &[&str]); 3] = [
        (
            "schemathesis: the document's statuses, types, headers and bodies",
            &[
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance,negative_data_rejection",
            ],
        ),
        (
            "schemathesis: requests the document calls invalid are refused",
            &[
                "--checks",
                "negative_data_rejection",
                "--exclude-path-regex",
                r"^/collections/(assets|\{collectionId\})/items$",
            ],
        ),
        (
            "schemathesis: requests the document calls valid are accepted",
            &[
                "--checks",
                "positive_data_acceptance",
                "--exclude-path-regex",
                r"^/(search|shortlist|map/points|collections/assets/items|downloads/assets\.(gpkg|\{format\})|oruk/service_at_locations)$",
                "--exclude-method",
                "PUT",
                "--exclude-operation-id",
                "makeSuggestion",
                "--exclude-operation-id",
                "acceptSuggestion",
                "--phases",
                "examples,coverage,fuzzing",
            ],
        ),
    ];
    for (what, checks) in runs {
        let mut cmd = Command::new(client("schemathesis"));
        cmd.current_dir(dir.path())
            .args(["run", &format!("{}/api", s.address)])
            .args(checks)
            .args(["--max-examples", "25"])
            .args(["--seed", "20261205"])
            .args(["--workers", "1"])
            .args(["--request-timeout", "30"])
            .args(["--header", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
            .env("NO_COLOR", "1");
        run(cmd, what);
    }
}
