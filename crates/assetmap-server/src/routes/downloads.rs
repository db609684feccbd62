//! `/downloads`: the asset layer and the per-area summaries as files (GeoJSON, CSV,
//! GeoPackage), and an index of what is available with the licence to keep (JSON for clients;
//! for a browser, or `f=html`, the "Data and API" page that `/data` also shows: the same
//! downloads with how to open them in QGIS and Excel, and the API's entry points).
//!
//! CSV and GeoJSON stream: a blocking task reads the engine in batches (a short read lock per
//! batch, never held while waiting on the client) and sends 64 KiB chunks through a bounded
//! channel, so a slow client slows the task down instead of filling memory. A GeoPackage is
//! an SQLite file that cannot be written front to back, so it is built in a temporary file
//! and then streamed from it in chunks; the file is deleted once sent.

use crate::errors::ApiError;
use crate::http::{base_url, json_response, Format as HttpFormat};
use crate::params::Params;
use crate::parse::{bbox_from, filter_from, summary_query};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_analysis::export::{
    self, assets_metadata, EngineBatches, Export, Layer, Output, Selection,
};
use assetmap_analysis::AnalysisError;
use assetmap_index::AreaLevel;
use assetmap_io::export::Format;
use serde_json::json;
use std::io::{Read, Write};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Size of the chunks sent to the client.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight per download (so at most about 1 MiB is buffered).
const IN_FLIGHT: usize = 16;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/data", web::get().to(data_page))
        .route("/downloads", web::get().to(index))
        .route("/downloads/{file}", web::get().to(download));
}

type Chunk = Result<Bytes, std::io::Error>;

/// A `Write` that sends what it is given to the client in chunks (blocking when the client
/// is slow). Fails with `BrokenPipe` once the client has gone.
struct ChannelWriter {
    tx: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn new(tx: mpsc::Sender<Chunk>) -> Self {
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client stopped reading")
        })
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

fn attachment(filename: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{filename}\""),
    )
}

/// A streaming response fed by `rx`.
fn streaming(format: Format, filename: &str, rx: mpsc::Receiver<Chunk>) -> HttpResponse {
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(attachment(filename))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// Sends an error down the stream (the client sees a cut-off body) and logs it.
fn abort(tx: &mpsc::Sender<Chunk>, what: &str, e: impl std::fmt::Display) {
    tracing::warn!(error = %e, "{what} download stopped");
    let _ = tx.blocking_send(Err(std::io::Error::other(format!(
        "{what} download stopped: {e}"
    ))));
}

/// Streams the file at `file` (already complete) to the client, keeping `keep` (the temporary
/// folder) alive until it is sent.
fn stream_file<K: Send + 'static>(
    format: Format,
    filename: &str,
    mut file: std::fs::File,
    keep: K,
) -> HttpResponse {
    let (tx, rx) = mpsc::channel::<Chunk>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let _keep = keep;
        loop {
            let mut buf = vec![0u8; CHUNK];
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    abort(&tx, "GeoPackage", e);
                    break;
                }
            }
        }
    });
    streaming(format, filename, rx)
}

/// The parameters of an asset download (besides the format-specific `layers`).
const ASSET_PARAMS: [&str; 5] = ["area", "category", "abcd_type", "status", "bbox"];

/// Reads the asset selection: the items endpoint's filters, plus `area`.
fn selection(p: &Params, state: &AppState) -> Result<Selection, ApiError> {
    let filter = filter_from(p)?;
    let bbox = bbox_from(p)?;
    let area = p
        .one("area")?
        .map(|code| {
            Selection::area_from_code(&state.place.areas, code)
                .map_err(|e| ApiError::bad_param("area", e))
        })
        .transpose()?;
    Ok(Selection { filter, bbox, area })
}

async fn download(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let file = path.into_inner();
    let not_here = || {
        ApiError::not_found(format!(
            "There is no download {file:?}. GET /downloads lists them: assets.{{geojson,csv,gpkg}} and areas-{{ward,lsoa,msoa,la}}.{{geojson,csv,gpkg}}."
        ))
    };
    let (stem, ext) = file.rsplit_once('.').ok_or_else(not_here)?;
    let format = Format::parse(ext)
        .filter(|f| f.ext() == ext)
        .ok_or_else(not_here)?;
    if stem == "assets" {
        return assets(req, format, state.into_inner()).await;
    }
    let level = stem
        .strip_prefix("areas-")
        .and_then(AreaLevel::parse)
        .ok_or_else(not_here)?;
    areas(req, format, level, state.into_inner()).await
}

async fn assets(
    req: HttpRequest,
    format: Format,
    state: Arc<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut allowed: Vec<&str> = ASSET_PARAMS.to_vec();
    if format == Format::Gpkg {
        allowed.extend(["layers", "walk_m", "desert_share"]);
    }
    let p = Params::parse(req.query_string(), &allowed)?;
    let sel = selection(&p, &state)?;
    let filename = format!("assets.{}", format.ext());
    let method = format!("assetmap download {}", req.uri());

    let md = assets_metadata(&method, &state.data_origin());

    if format == Format::Gpkg {
        let layers = if p.list("layers").is_empty() {
            Layer::DEFAULT_GPKG.to_vec()
        } else {
            Layer::parse_list(p.list("layers")).map_err(|e| ApiError::bad_param("layers", e))?
        };
        let mut query = summary_query(&p)?;
        query.categories = sel.filter.categories.clone();
        let (file, dir) = web::block(move || -> Result<_, AnalysisError> {
            let dir = tempfile::tempdir().map_err(io_error)?;
            let path = dir.path().join("assets.gpkg");
            let mut source = EngineBatches::new(state.clone(), &sel);
            let job = Export {
                layers: &layers,
                selection: &sel,
                metadata: &md,
                areas: &state.place.areas,
            };
            export::write(
                Output::<std::io::Sink>::GeoPackage(&path),
                &job,
                &mut source,
                &mut |level| Ok(state.summary(level, &query)),
                &mut |_| {},
            )?;
            let file = std::fs::File::open(&path).map_err(io_error)?;
            Ok((file, dir))
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("The GeoPackage could not be built: {e}")))?;
        return Ok(stream_file(format, &filename, file, dir));
    }

    let (tx, rx) = mpsc::channel::<Chunk>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut source = EngineBatches::new(state.clone(), &sel);
        let job = Export {
            layers: &[Layer::Assets],
            selection: &sel,
            metadata: &md,
            areas: &state.place.areas,
        };
        let result = export::write(
            Output::Stream(format, ChannelWriter::new(tx.clone())),
            &job,
            &mut source,
            &mut |level| Ok(state.summary(level, &Default::default())),
            &mut |_| {},
        );
        if let Err(e) = result {
            if !e.is_disconnect() {
                abort(&tx, "asset", e);
            }
        }
    });
    Ok(streaming(format, &filename, rx))
}

fn io_error(e: std::io::Error) -> AnalysisError {
    AnalysisError::Export(e.into())
}

async fn areas(
    req: HttpRequest,
    format: Format,
    level: AreaLevel,
    state: Arc<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["category", "walk_m", "desert_share"])?;
    let query = summary_query(&p)?;
    let filename = format!("areas-{}.{}", level.slug(), format.ext());
    let (bytes, dir) = web::block(move || -> Result<_, AnalysisError> {
        let s = state.summary(level, &query);
        if format == Format::Gpkg {
            let dir = tempfile::tempdir().map_err(io_error)?;
            let path = dir
                .path()
                .join(format!("{}.gpkg", Layer::Areas(level).name()));
            export::write_area_file(Output::<std::io::Sink>::GeoPackage(&path), &s)?;
            Ok((
                None,
                Some((std::fs::File::open(&path).map_err(io_error)?, dir)),
            ))
        } else {
            let mut out = Vec::new();
            export::write_area_file(Output::Stream(format, &mut out), &s)?;
            Ok((Some(out), None))
        }
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| {
        ApiError::internal(format!(
            "The {} summary could not be written: {e}",
            level.slug()
        ))
    })?;
    match (bytes, dir) {
        (_, Some((file, dir))) => Ok(stream_file(format, &filename, file, dir)),
        (Some(b), None) => Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header(attachment(&filename))
            .body(b)),
        (None, None) => Err(ApiError::internal("nothing was written")),
    }
}

async fn index(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["f"])?;
    if let Some(f) = p
        .one_as_given("f")?
        .filter(|f| !matches!(*f, "json" | "html"))
    {
        return Err(ApiError::bad_param(
            "f",
            format!("{f:?} is not a format of this index; use json or html"),
        ));
    }
    let body = index_json(&req, &state);
    if HttpFormat::negotiate(&req, &p)? == HttpFormat::Html {
        return render_data_page(state.into_inner(), &body).await;
    }
    Ok(json_response("application/json", &body))
}

/// `/data`: the front door for analysts and developers (`templates/data.html`).
async fn data_page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let body = index_json(&req, &state);
    render_data_page(state.into_inner(), &body).await
}

/// Most assets for which the page works out the files' sizes (by writing them to a counter):
/// beyond it the page gives the number of places only.
const SIZED_UP_TO: usize = 20_000;

/// Counts what is written.
#[derive(Default)]
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0 += data.len() as u64;
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The sizes in bytes of the whole files that stream (CSV and GeoJSON), by file name
/// (`assets.csv`, `areas-ward.geojson`); none when there are more than [`SIZED_UP_TO`] assets.
/// GeoPackages are built on request and not sized.
fn file_sizes(state: &Arc<AppState>) -> std::collections::HashMap<String, u64> {
    let mut sizes = std::collections::HashMap::new();
    if state.engine().len() > SIZED_UP_TO {
        return sizes;
    }
    let md = assets_metadata("assetmap download /downloads/assets", &state.data_origin());
    let sel = Selection::default();
    for format in [Format::Csv, Format::GeoJson] {
        let mut n = Counter::default();
        let mut source = EngineBatches::new(state.clone(), &sel);
        let job = Export {
            layers: &[Layer::Assets],
            selection: &sel,
            metadata: &md,
            areas: &state.place.areas,
        };
        let written = export::write(
            Output::Stream(format, &mut n),
            &job,
            &mut source,
            &mut |level| Ok(state.summary(level, &Default::default())),
            &mut |_| {},
        );
        if written.is_ok() {
            sizes.insert(format!("assets.{}", format.ext()), n.0);
        }
        for level in [
            AreaLevel::Ward,
            AreaLevel::Lsoa,
            AreaLevel::Msoa,
            AreaLevel::La,
        ] {
            let summary = state.summary(level, &Default::default());
            let mut n = Counter::default();
            if export::write_area_file(Output::Stream(format, &mut n), &summary).is_ok() {
                sizes.insert(format!("areas-{}.{}", level.slug(), format.ext()), n.0);
            }
        }
    }
    sizes
}

/// "840 KB", "1.3 MB".
fn bytes_words(n: u64) -> String {
    if n < 1_000_000 {
        format!("{} KB", n.div_ceil(1000))
    } else {
        format!("{:.1} MB", n as f64 / 1_000_000.0)
    }
}

/// One file of a download, for the page.
struct FileLink {
    /// `GeoPackage`, `GeoJSON`, `CSV`.
    label: &'static str,
    /// What it opens in.
    for_what: &'static str,
    href: String,
    media_type: String,
    /// "about 1.3 MB", or how the size is known.
    size: String,
}

/// One download (the asset layer, or one level's summaries), for the page.
struct DownloadRow {
    title: String,
    description: String,
    /// "1,910 places", "21 wards".
    size: String,
    files: Vec<FileLink>,
    /// `(name, what it does)`.
    parameters: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "data.html")]
struct DataPage {
    title: &'static str,
    place: String,
    /// This site's landing page (for QGIS and GDAL).
    root: String,
    downloads: Vec<DownloadRow>,
    licence: String,
    attribution: String,
    source: String,
}

/// "1910" → "1,910".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The page, from exactly what the JSON index lists.
async fn render_data_page(
    state: Arc<AppState>,
    index: &serde_json::Value,
) -> Result<HttpResponse, ApiError> {
    let sizes = {
        let state = state.clone();
        web::block(move || file_sizes(&state))
            .await
            .map_err(ApiError::internal)?
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let downloads = index["downloads"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|d| {
            let size = match (d["assets"].as_u64(), d["areas"].as_u64()) {
                (Some(n), _) => format!("{} place{}", thousands(n), if n == 1 { "" } else { "s" }),
                (None, Some(n)) => {
                    format!("{} area{}", thousands(n), if n == 1 { "" } else { "s" })
                }
                _ => String::new(),
            };
            let files = d["files"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|f| {
                    let (label, for_what) = match f["format"].as_str() {
                        Some("gpkg") => ("GeoPackage", "QGIS, ArcGIS"),
                        Some("csv") => ("CSV", "Excel, LibreOffice"),
                        _ => ("GeoJSON", "QGIS, web maps"),
                    };
                    let href = text(&f["href"]);
                    let name = href.rsplit('/').next().unwrap_or_default();
                    let size = match sizes.get(name) {
                        Some(n) => format!("about {}", bytes_words(*n)),
                        None if f["format"] == "gpkg" => "built when you ask".to_owned(),
                        None => "made when you ask".to_owned(),
                    };
                    FileLink {
                        label,
                        for_what,
                        href,
                        media_type: text(&f["type"]),
                        size,
                    }
                })
                .collect();
            let parameters = d["parameters"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                .unwrap_or_default();
            DownloadRow {
                title: text(&d["title"]),
                description: text(&d["description"]),
                size,
                files,
                parameters,
            }
        })
        .collect();
    crate::html::render(&DataPage {
        title: "Data and API",
        place: state.place.title().to_owned(),
        root: text(&index["links"][1]["href"]),
        downloads,
        licence: text(&index["licence"]),
        attribution: text(&index["attribution"]),
        source: text(&index["source"]),
    })
}

/// The index of downloads, as JSON clients get it.
fn index_json(req: &HttpRequest, state: &AppState) -> serde_json::Value {
    let base = base_url(req);
    let files = |stem: &str| {
        Format::ALL
            .iter()
            .map(|f| {
                json!({
                    "format": f.ext(),
                    "href": format!("{base}/downloads/{stem}.{}", f.ext()),
                    "type": f.content_type(),
                })
            })
            .collect::<Vec<_>>()
    };
    let assets = state.engine().len();
    let origin = state.data_origin();
    let mut downloads = vec![json!({
        "id": "assets",
        "title": "Community assets",
        "description": "Every asset with every field, its ONS area codes (local authority, ward 2023, MSOA and LSOA 2021, with ward name), licence and attribution, and lon/lat (WGS84). CSV is UTF-8 with a byte-order mark for Excel; lists are joined with '; '; opening times are in words and as JSON. The GeoPackage has an 'assets' point layer and, by default, the ward, LSOA and MSOA summaries as 'areas_ward', 'areas_lsoa', 'areas_msoa', with a metadata table.",
        "assets": assets,
        "files": files("assets"),
        "parameters": {
            "area": "an ONS code of the local authority, a ward, an MSOA or an LSOA: only assets inside it",
            "category": "comma list of categories (any of them); see /vocabulary",
            "abcd_type": "comma list of ABCD types",
            "status": "comma list of statuses (default active,temporarily_closed, as the items endpoint)",
            "bbox": "minLon,minLat,maxLon,maxLat (WGS84)",
            "layers": "GeoPackage only: comma list of assets, ward, lsoa, msoa, la (default assets,ward,lsoa,msoa)",
            "walk_m": "GeoPackage only: walking distance in metres for the area layers' access figures (default 800)",
            "desert_share": "GeoPackage only: desert threshold for the area layers (default 0.5)",
        },
    })];
    for level in [
        AreaLevel::Ward,
        AreaLevel::Lsoa,
        AreaLevel::Msoa,
        AreaLevel::La,
    ] {
        let stem = format!("areas-{}", level.slug());
        downloads.push(json!({
            "id": stem,
            "title": format!("Assets by {}: counts, rates per 1,000, access and need", level.slug()),
            "description": "One row per area with its boundary: population (mid-2024), asset counts and rates per 1,000 residents by category, how many of the area's assets were checked within 12 months and their share (assets_checked_12m, share_checked_12m: verified_at on or after the day 12 months before the figures were made, stated in the file's metadata; imported records carry their source's date; the share is empty when the area has no assets), the share of postcodes within walking distance of each category and the median distance, asset deserts, and census 2021 need. The same figures as /collections/areas-<level>/items.",
            "areas": state.place.areas.areas(level).len(),
            "files": files(&stem),
            "parameters": {
                "category": "comma list of categories to report (default all)",
                "walk_m": "walking distance in metres (default 800)",
                "desert_share": "desert threshold, 0 to 1 (default 0.5)",
            },
        }));
    }
    let body = json!({
        "title": "Downloads",
        "description": "The asset layer and per-area figures as files for QGIS (GeoPackage, GeoJSON) and Excel (CSV). Keep the licence and attribution with any copy, map or table made from them.",
        "licence": origin.licence(),
        "attribution": origin.attribution(),
        "source": origin.source(),
        "downloads": downloads,
        "links": [
            {"href": format!("{base}/downloads"), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/"), "rel": "root", "type": "application/json"},
        ],
    });
    body
}
