//! The GeoPackage 1.3 core tables and the pieces to add layers and metadata to a file.
//!
//! These work on any [`rusqlite::Connection`], so the store and a later export share them:
//! [`initialise`] makes an empty SQLite file a GeoPackage, [`create_features_table`] and
//! [`create_attributes_table`] add layers registered in `gpkg_contents`, [`extend_extent`]
//! keeps a layer's bounding box, and [`add_metadata`] records source, licence, date and method
//! with the GeoPackage metadata extension.

use crate::geometry::{Envelope, WGS84_SRS_ID};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

/// `PRAGMA application_id` of a GeoPackage: the ASCII bytes "GPKG".
pub const GPKG_APPLICATION_ID: i32 = 0x4750_4B47;

/// `PRAGMA user_version` of a GeoPackage 1.3.0 file.
pub const GPKG_USER_VERSION: i32 = 10300;

/// The timestamp format GeoPackage uses for `DATETIME` values written by SQL.
const SQL_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

/// WKT of EPSG:4326 as GDAL writes it into `gpkg_spatial_ref_sys`.
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

const CORE_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
"#;

const METADATA_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
CREATE TABLE IF NOT EXISTS gpkg_metadata (
  id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
  md_scope TEXT NOT NULL DEFAULT 'dataset',
  md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml',
  metadata TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (
  reference_scope TEXT NOT NULL,
  table_name TEXT,
  column_name TEXT,
  row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL,
  md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id)
);
INSERT OR IGNORE INTO gpkg_extensions VALUES
  ('gpkg_metadata', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec/#extension_metadata', 'read-write'),
  ('gpkg_metadata_reference', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec/#extension_metadata', 'read-write');
"#;

/// Quotes an SQL identifier (`a"b` → `"a""b"`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Makes the database a GeoPackage 1.3: sets `application_id` and `user_version`, creates the
/// core tables and the three required `gpkg_spatial_ref_sys` rows (-1 undefined cartesian,
/// 0 undefined geographic, 4326 WGS 84). Safe to run again on a GeoPackage, whose tables,
/// rows and (higher) `user_version` it keeps.
pub fn initialise(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "application_id", GPKG_APPLICATION_ID)?;
    // A GeoPackage of a later minor version (1.4 = 10400) is kept at its own version.
    let user_version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if user_version < GPKG_USER_VERSION {
        conn.pragma_update(None, "user_version", GPKG_USER_VERSION)?;
    }
    conn.execute_batch(CORE_TABLES)?;
    let mut srs =
        conn.prepare("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    srs.execute(params![
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system"
    ])?;
    srs.execute(params![
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system"
    ])?;
    srs.execute(params![
        "WGS 84 geodetic",
        WGS84_SRS_ID,
        "EPSG",
        4326,
        WGS84_WKT,
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
    ])?;
    Ok(())
}

/// The type of an attribute column, as GeoPackage names it (clause 1.1.1.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// 64-bit signed integer.
    Integer,
    /// 64-bit IEEE float.
    Double,
    /// 0 or 1.
    Boolean,
    /// ISO 8601 date `YYYY-MM-DD`.
    Date,
    /// ISO 8601 UTC timestamp `YYYY-MM-DDTHH:MM:SS.SSSZ`.
    DateTime,
}

impl ColumnType {
    /// The SQL type name.
    pub fn sql(self) -> &'static str {
        match self {
            ColumnType::Text => "TEXT",
            ColumnType::Integer => "INTEGER",
            ColumnType::Double => "DOUBLE",
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Date => "DATE",
            ColumnType::DateTime => "DATETIME",
        }
    }
}

/// One attribute column of a features or attributes table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column<'a> {
    pub name: &'a str,
    pub ty: ColumnType,
    pub not_null: bool,
    pub unique: bool,
}

impl<'a> Column<'a> {
    /// A nullable, non-unique column.
    pub const fn new(name: &'a str, ty: ColumnType) -> Self {
        Self {
            name,
            ty,
            not_null: false,
            unique: false,
        }
    }

    /// The same column, `NOT NULL`.
    #[must_use]
    pub const fn not_null(mut self) -> Self {
        self.not_null = true;
        self
    }

    /// The same column, `UNIQUE` (SQLite then keeps an index on it).
    #[must_use]
    pub const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    fn ddl(&self) -> String {
        let mut s = format!("{} {}", quote_ident(self.name), self.ty.sql());
        if self.not_null {
            s.push_str(" NOT NULL");
        }
        if self.unique {
            s.push_str(" UNIQUE");
        }
        s
    }
}

/// The geometry type of a features table's geometry column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryType {
    Point,
    Polygon,
    MultiPolygon,
    /// Any geometry.
    Geometry,
}

impl GeometryType {
    /// The name GeoPackage uses in `gpkg_geometry_columns` and the column's SQL type.
    pub fn name(self) -> &'static str {
        match self {
            GeometryType::Point => "POINT",
            GeometryType::Polygon => "POLYGON",
            GeometryType::MultiPolygon => "MULTIPOLYGON",
            GeometryType::Geometry => "GEOMETRY",
        }
    }
}

/// A features (vector) layer: `fid INTEGER PRIMARY KEY AUTOINCREMENT`, a 2D geometry column
/// `geom`, then the attribute columns.
#[derive(Debug, Clone, Copy)]
pub struct FeatureTable<'a> {
    /// Table name (the layer name QGIS and GDAL show).
    pub name: &'a str,
    /// Human title, unique in the file.
    pub identifier: &'a str,
    pub description: &'a str,
    pub geometry_type: GeometryType,
    /// Usually [`WGS84_SRS_ID`].
    pub srs_id: i32,
    pub columns: &'a [Column<'a>],
}

/// The primary key column of every features table made here.
pub const FID_COLUMN: &str = "fid";
/// The geometry column of every features table made here.
pub const GEOMETRY_COLUMN: &str = "geom";

/// Creates a features table and registers it in `gpkg_contents` (data_type `features`, no
/// extent yet) and `gpkg_geometry_columns`. Fails if the table exists.
pub fn create_features_table(conn: &Connection, t: &FeatureTable<'_>) -> rusqlite::Result<()> {
    let mut ddl = format!(
        "CREATE TABLE {} ({} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {} {}",
        quote_ident(t.name),
        FID_COLUMN,
        GEOMETRY_COLUMN,
        t.geometry_type.name()
    );
    for c in t.columns {
        ddl.push_str(", ");
        ddl.push_str(&c.ddl());
    }
    ddl.push(')');
    conn.execute(&ddl, [])?;
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?1, 'features', ?2, ?3, ?4)",
        params![t.name, t.identifier, t.description, t.srs_id],
    )?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, ?3, ?4, 0, 0)",
        params![t.name, GEOMETRY_COLUMN, t.geometry_type.name(), t.srs_id],
    )?;
    Ok(())
}

/// A non-spatial layer (GeoPackage "attributes" table).
#[derive(Debug, Clone, Copy)]
pub struct AttributesTable<'a> {
    pub name: &'a str,
    pub identifier: &'a str,
    pub description: &'a str,
    /// The `INTEGER PRIMARY KEY AUTOINCREMENT` column.
    pub id_column: &'a str,
    pub columns: &'a [Column<'a>],
}

/// Creates an attributes table and registers it in `gpkg_contents` (data_type `attributes`).
pub fn create_attributes_table(conn: &Connection, t: &AttributesTable<'_>) -> rusqlite::Result<()> {
    let mut ddl = format!(
        "CREATE TABLE {} ({} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
        quote_ident(t.name),
        quote_ident(t.id_column)
    );
    for c in t.columns {
        ddl.push_str(", ");
        ddl.push_str(&c.ddl());
    }
    ddl.push(')');
    conn.execute(&ddl, [])?;
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?1, 'attributes', ?2, ?3)",
        params![t.name, t.identifier, t.description],
    )?;
    Ok(())
}

/// Grows a layer's `gpkg_contents` bounding box to include `env` and sets `last_change` to
/// now. (Boxes only grow: after a delete the box may be larger than the data, which the
/// specification allows — it is informative.)
pub fn extend_extent(conn: &Connection, table: &str, env: &Envelope) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "UPDATE gpkg_contents SET \
           min_x = min(coalesce(min_x, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3), \
           min_y = min(coalesce(min_y, ?4), ?4), max_y = max(coalesce(max_y, ?5), ?5), \
           last_change = {SQL_NOW} WHERE table_name = ?1"
    ))?
    .execute(params![table, env.min_x, env.max_x, env.min_y, env.max_y])?;
    Ok(())
}

/// Sets a layer's `gpkg_contents.last_change` to now.
pub fn touch(conn: &Connection, table: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "UPDATE gpkg_contents SET last_change = {SQL_NOW} WHERE table_name = ?1"
    ))?
    .execute([table])?;
    Ok(())
}

/// A layer's bounding box as recorded in `gpkg_contents`, `None` when not set.
pub fn extent(conn: &Connection, table: &str) -> rusqlite::Result<Option<Envelope>> {
    let row = conn
        .query_row(
            "SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name = ?1",
            [table],
            |r| {
                Ok((
                    r.get::<_, Option<f64>>(0)?,
                    r.get::<_, Option<f64>>(1)?,
                    r.get::<_, Option<f64>>(2)?,
                    r.get::<_, Option<f64>>(3)?,
                ))
            },
        )
        .optional()?;
    Ok(match row {
        Some((Some(min_x), Some(max_x), Some(min_y), Some(max_y))) => Some(Envelope {
            min_x,
            max_x,
            min_y,
            max_y,
        }),
        _ => None,
    })
}

/// Where data came from and how it may be reused, for a whole file or one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetMetadata {
    /// Publisher of the data, e.g. "DCMS / Trafford Council".
    pub source: String,
    /// Licence identifier, e.g. "OGL-3.0".
    pub licence: String,
    /// Attribution statement the licence requires, if any.
    pub attribution: Option<String>,
    /// The day the data was produced or extracted.
    pub date: NaiveDate,
    /// How it was made, e.g. "assetmap export of the live store".
    pub method: String,
}

/// The `md_standard_uri` GDAL reads as its own metadata: the items then show in `ogrinfo` and
/// in QGIS's layer properties.
const GDAL_METADATA_URI: &str = "http://gdal.org";

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl DatasetMetadata {
    /// The metadata as GDAL's multi-domain metadata XML (`SOURCE`, `LICENCE`, `ATTRIBUTION`,
    /// `DATE`, `METHOD` items).
    pub fn to_gdal_xml(&self) -> String {
        let mut items = vec![
            ("SOURCE", self.source.clone()),
            ("LICENCE", self.licence.clone()),
        ];
        if let Some(a) = &self.attribution {
            items.push(("ATTRIBUTION", a.clone()));
        }
        items.push(("DATE", self.date.format("%Y-%m-%d").to_string()));
        items.push(("METHOD", self.method.clone()));
        let mut xml = String::from("<GDALMultiDomainMetadata>\n  <Metadata>\n");
        for (k, v) in items {
            xml.push_str(&format!("    <MDI key=\"{k}\">{}</MDI>\n", xml_escape(&v)));
        }
        xml.push_str("  </Metadata>\n</GDALMultiDomainMetadata>\n");
        xml
    }
}

/// Adds a metadata entry (GeoPackage metadata extension, creating its tables if needed) about
/// `table`, or about the whole file when `table` is `None`. Returns the `gpkg_metadata` id.
pub fn add_metadata(
    conn: &Connection,
    table: Option<&str>,
    md: &DatasetMetadata,
) -> rusqlite::Result<i64> {
    conn.execute_batch(METADATA_TABLES)?;
    conn.execute(
        "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', ?1, 'text/xml', ?2)",
        params![GDAL_METADATA_URI, md.to_gdal_xml()],
    )?;
    let id = conn.last_insert_rowid();
    let scope = if table.is_some() {
        "table"
    } else {
        "geopackage"
    };
    conn.execute(
        "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) VALUES (?1, ?2, ?3)",
        params![scope, table, id],
    )?;
    Ok(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn initialise_is_idempotent_and_sets_the_header() {
        let conn = Connection::open_in_memory().unwrap();
        initialise(&conn).unwrap();
        initialise(&conn).unwrap();
        let app: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        let ver: i32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!((app, ver), (0x4750_4B47, 10300));
        let ids: Vec<i64> = conn
            .prepare("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ids, vec![-1, 0, 4326]);
    }

    #[test]
    fn feature_table_registration_and_extent() {
        let conn = Connection::open_in_memory().unwrap();
        initialise(&conn).unwrap();
        let cols = [
            Column::new("name", ColumnType::Text).not_null(),
            Column::new("code", ColumnType::Text).unique(),
        ];
        let t = FeatureTable {
            name: "areas",
            identifier: "Areas",
            description: "",
            geometry_type: GeometryType::MultiPolygon,
            srs_id: WGS84_SRS_ID,
            columns: &cols,
        };
        create_features_table(&conn, &t).unwrap();
        assert!(
            create_features_table(&conn, &t).is_err(),
            "creating twice fails"
        );
        let (kind, gtype): (String, String) = conn
            .query_row(
                "SELECT c.data_type, g.geometry_type_name FROM gpkg_contents c JOIN gpkg_geometry_columns g USING (table_name) WHERE table_name = 'areas'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (kind.as_str(), gtype.as_str()),
            ("features", "MULTIPOLYGON")
        );
        assert_eq!(extent(&conn, "areas").unwrap(), None);
        extend_extent(
            &conn,
            "areas",
            &Envelope {
                min_x: 1.0,
                max_x: 2.0,
                min_y: 3.0,
                max_y: 4.0,
            },
        )
        .unwrap();
        extend_extent(&conn, "areas", &Envelope::of_point(-1.0, 3.5)).unwrap();
        assert_eq!(
            extent(&conn, "areas").unwrap(),
            Some(Envelope {
                min_x: -1.0,
                max_x: 2.0,
                min_y: 3.0,
                max_y: 4.0
            })
        );
    }

    #[test]
    fn metadata_is_gdal_xml_referenced_to_the_table() {
        let conn = Connection::open_in_memory().unwrap();
        initialise(&conn).unwrap();
        let md = DatasetMetadata {
            source: "DCMS & Trafford <Council>".into(),
            licence: "OGL-3.0".into(),
            attribution: Some("Contains public sector information".into()),
            date: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            method: "export".into(),
        };
        let id = add_metadata(&conn, Some("assets"), &md).unwrap();
        let (xml, scope, table): (String, String, String) = conn
            .query_row(
                "SELECT m.metadata, r.reference_scope, r.table_name FROM gpkg_metadata m JOIN gpkg_metadata_reference r ON r.md_file_id = m.id WHERE m.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert!(
            xml.contains(r#"<MDI key="SOURCE">DCMS &amp; Trafford &lt;Council&gt;</MDI>"#),
            "{xml}"
        );
        assert!(xml.contains(r#"<MDI key="DATE">2025-03-01</MDI>"#));
        assert_eq!((scope.as_str(), table.as_str()), ("table", "assets"));
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_metadata'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
        add_metadata(&conn, None, &md).unwrap();
    }
}
