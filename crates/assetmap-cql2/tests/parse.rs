//! Every construct in both encodings: the text and the JSON form parse to the same tree
//! (positions aside); positions and messages of errors; precedence; quoting.

mod common;

use assetmap_cql2::{
    parse_json, parse_json_value, parse_text, ArrayOp, At, CompareOp, Expr, ParseError, SpatialOp,
    Term,
};
use common::{num, op, prop, strip};
use geo_types::{coord, Geometry};

#[track_caller]
fn text(filter: &str) -> Expr {
    match parse_text(filter) {
        Ok(e) => strip(e),
        Err(e) => panic!("{filter:?} failed: {e}"),
    }
}

#[track_caller]
fn json(filter: &str) -> Expr {
    match parse_json(filter) {
        Ok(e) => strip(e),
        Err(e) => panic!("{filter} failed: {e}"),
    }
}

#[track_caller]
fn text_error(filter: &str) -> ParseError {
    match parse_text(filter) {
        Ok(e) => panic!("{filter:?} parsed as {e:?}"),
        Err(e) => e,
    }
}

#[track_caller]
fn json_error(filter: &str) -> ParseError {
    match parse_json(filter) {
        Ok(e) => panic!("{filter} parsed as {e:?}"),
        Err(e) => e,
    }
}

/// The same filter in both encodings.
const PAIRS: &[(&str, &str)] = &[
    ("TRUE", "true"),
    ("false", "false"),
    (
        "name = 'Library'",
        r#"{"op":"=","args":[{"property":"name"},"Library"]}"#,
    ),
    ("a <> 1", r#"{"op":"<>","args":[{"property":"a"},1]}"#),
    ("a < -1.5", r#"{"op":"<","args":[{"property":"a"},-1.5]}"#),
    ("a <= 2e3", r#"{"op":"<=","args":[{"property":"a"},2000]}"#),
    ("a > .5", r#"{"op":">","args":[{"property":"a"},0.5]}"#),
    ("a >= +7", r#"{"op":">=","args":[{"property":"a"},7]}"#),
    (
        "open = TRUE",
        r#"{"op":"=","args":[{"property":"open"},true]}"#,
    ),
    ("3 = a", r#"{"op":"=","args":[3,{"property":"a"}]}"#),
    (
        "a = 1 AND b = 2 AND c = 3",
        r#"{"op":"and","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"=","args":[{"property":"b"},2]},{"op":"=","args":[{"property":"c"},3]}]}"#,
    ),
    (
        "a = 1 or b = 2",
        r#"{"op":"or","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"=","args":[{"property":"b"},2]}]}"#,
    ),
    (
        "NOT a = 1",
        r#"{"op":"not","args":[{"op":"=","args":[{"property":"a"},1]}]}"#,
    ),
    (
        "name LIKE 'Lib%'",
        r#"{"op":"like","args":[{"property":"name"},"Lib%"]}"#,
    ),
    (
        "name NOT LIKE 'Lib%'",
        r#"{"op":"not","args":[{"op":"like","args":[{"property":"name"},"Lib%"]}]}"#,
    ),
    (
        "CASEI(name) LIKE casei('lib%')",
        r#"{"op":"like","args":[{"op":"casei","args":[{"property":"name"}]},{"op":"casei","args":["lib%"]}]}"#,
    ),
    (
        "age BETWEEN 5 AND 11",
        r#"{"op":"between","args":[{"property":"age"},5,11]}"#,
    ),
    (
        "age NOT BETWEEN 5 AND 11",
        r#"{"op":"not","args":[{"op":"between","args":[{"property":"age"},5,11]}]}"#,
    ),
    (
        "status IN ('open', 'planned')",
        r#"{"op":"in","args":[{"property":"status"},["open","planned"]]}"#,
    ),
    (
        "n NOT IN (1)",
        r#"{"op":"not","args":[{"op":"in","args":[{"property":"n"},[1]]}]}"#,
    ),
    (
        "note IS NULL",
        r#"{"op":"isNull","args":[{"property":"note"}]}"#,
    ),
    (
        "note IS NOT NULL",
        r#"{"op":"not","args":[{"op":"isNull","args":[{"property":"note"}]}]}"#,
    ),
    (
        "updated > TIMESTAMP('2024-05-01T10:00:00Z')",
        r#"{"op":">","args":[{"property":"updated"},{"timestamp":"2024-05-01T10:00:00Z"}]}"#,
    ),
    (
        "updated > TIMESTAMP('2024-05-01T11:00:00+01:00')",
        r#"{"op":">","args":[{"property":"updated"},{"timestamp":"2024-05-01T10:00:00Z"}]}"#,
    ),
    (
        "opened = DATE('2024-02-29')",
        r#"{"op":"=","args":[{"property":"opened"},{"date":"2024-02-29"}]}"#,
    ),
    (
        "S_INTERSECTS(geometry, POINT(-2.3 53.4))",
        r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[-2.3,53.4]}]}"#,
    ),
    (
        "S_DISJOINT(geometry, LINESTRING(0 0, 1 1, 2 0))",
        r#"{"op":"s_disjoint","args":[{"property":"geometry"},{"type":"LineString","coordinates":[[0,0],[1,1],[2,0]]}]}"#,
    ),
    (
        "S_CONTAINS(geometry, POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1)))",
        r#"{"op":"s_contains","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}]}"#,
    ),
    (
        "S_WITHIN(geometry, MULTIPOINT(1 2, 3 4))",
        r#"{"op":"s_within","args":[{"property":"geometry"},{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}]}"#,
    ),
    (
        "S_WITHIN(geometry, MULTIPOINT((1 2), (3 4)))",
        r#"{"op":"s_within","args":[{"property":"geometry"},{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}]}"#,
    ),
    (
        "S_EQUALS(geometry, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))",
        r#"{"op":"s_equals","args":[{"property":"geometry"},{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}]}"#,
    ),
    (
        "S_TOUCHES(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))",
        r#"{"op":"s_touches","args":[{"property":"geometry"},{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}]}"#,
    ),
    (
        "S_CROSSES(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))",
        r#"{"op":"s_crosses","args":[{"property":"geometry"},{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}]}"#,
    ),
    (
        "S_INTERSECTS(geometry, POINT(1 2))",
        r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","bbox":[1,2,1,2],"coordinates":[1,2]}]}"#,
    ),
    (
        "S_OVERLAPS(geometry, POINT Z (1 2 3))",
        r#"{"op":"s_overlaps","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2,3]}]}"#,
    ),
    (
        "S_INTERSECTS(geometry, BBOX(-2.5, 53.3, -2.1, 53.6))",
        r#"{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[-2.5,53.3,-2.1,53.6]}]}"#,
    ),
    (
        "S_INTERSECTS(geometry, BBOX(-2.5, 53.3, 0, -2.1, 53.6, 100))",
        r#"{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[-2.5,53.3,0,-2.1,53.6,100]}]}"#,
    ),
    (
        "A_EQUALS(tags, ('a', 'b'))",
        r#"{"op":"a_equals","args":[{"property":"tags"},["a","b"]]}"#,
    ),
    (
        "A_CONTAINS(tags, ())",
        r#"{"op":"a_contains","args":[{"property":"tags"},[]]}"#,
    ),
    (
        "A_CONTAINEDBY(tags, ('a', ('b', 1)))",
        r#"{"op":"a_containedBy","args":[{"property":"tags"},["a",["b",1]]]}"#,
    ),
    (
        "a_overlaps(('x'), tags)",
        r#"{"op":"A_OVERLAPS","args":[["x"],{"property":"tags"}]}"#,
    ),
    (
        r#""my ""odd"" name" = 'it''s'"#,
        r#"{"op":"=","args":[{"property":"my \"odd\" name"},"it's"]}"#,
    ),
    (
        "cost.band:x_1 = 'é'",
        r#"{"op":"=","args":[{"property":"cost.band:x_1"},"é"]}"#,
    ),
    (
        "(a = 1 OR b = 2) AND NOT (c = 3)",
        r#"{"op":"and","args":[{"op":"or","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"=","args":[{"property":"b"},2]}]},{"op":"not","args":[{"op":"=","args":[{"property":"c"},3]}]}]}"#,
    ),
];

#[test]
fn text_and_json_give_the_same_tree() {
    for (t, j) in PAIRS {
        assert_eq!(text(t), json(j), "{t}  vs  {j}");
    }
}

#[test]
fn op_names_match_in_any_case() {
    assert_eq!(
        json(r#"{"op":"ISNULL","args":[{"property":"x"}]}"#),
        json(r#"{"op":"isNull","args":[{"property":"x"}]}"#)
    );
    assert_eq!(
        json(
            r#"{"op":"S_Intersects","args":[{"property":"g"},{"type":"point","coordinates":[1,2]}]}"#
        ),
        text("s_intersects(g, point(1 2))")
    );
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let cmp = |name: &str, n: f64| Expr::Compare {
        op: CompareOp::Eq,
        left: prop(name),
        right: num(n),
        at: At::Char(0),
    };
    let expected = Expr::Or(vec![
        cmp("a", 1.0),
        Expr::And(vec![cmp("b", 2.0), Expr::Not(Box::new(cmp("c", 3.0)))]),
    ]);
    assert_eq!(text("a = 1 OR b = 2 AND NOT c = 3"), expected);
    assert_eq!(text("a = 1 or (b = 2 and not c = 3)"), expected);
    // Parentheses make a part of its own: not flattened into the chain around it.
    assert_eq!(
        text("(a = 1 AND b = 2) AND c = 3"),
        Expr::And(vec![
            Expr::And(vec![cmp("a", 1.0), cmp("b", 2.0)]),
            cmp("c", 3.0)
        ])
    );
    assert_eq!(
        text("NOT NOT a = 1"),
        Expr::Not(Box::new(Expr::Not(Box::new(cmp("a", 1.0)))))
    );
    // BETWEEN takes its own AND.
    assert_eq!(
        text("x BETWEEN 1 AND 2 AND TRUE"),
        Expr::And(vec![
            Expr::Between {
                value: prop("x"),
                low: num(1.0),
                high: num(2.0),
                at: At::Char(0)
            },
            Expr::Bool(true)
        ])
    );
}

#[test]
fn positions_are_characters_from_one() {
    let Ok(Expr::And(parts)) = parse_text("é = 'ü' AND S_WITHIN(g, POINT(1 2))") else {
        panic!("not an And");
    };
    let Expr::Compare {
        left, right, at, ..
    } = &parts[0]
    else {
        panic!("not a comparison: {:?}", parts[0]);
    };
    assert_eq!(
        (&left.at, at, &right.at),
        (&At::Char(1), &At::Char(3), &At::Char(5))
    );
    let Expr::Spatial {
        op,
        left,
        right,
        at,
    } = &parts[1]
    else {
        panic!("not a spatial function: {:?}", parts[1]);
    };
    assert_eq!(*op, SpatialOp::Within);
    assert_eq!(
        (at, &left.at, &right.at),
        (&At::Char(13), &At::Char(22), &At::Char(25))
    );

    let Ok(Expr::Array { op, right, .. }) =
        parse_json(r#"{"op":"a_contains","args":[{"property":"t"},["a"]]}"#)
    else {
        panic!("not an array function");
    };
    assert_eq!(op, ArrayOp::Contains);
    assert_eq!(right.at, At::Pointer("/args/1".into()));
    let Term::Array(items) = &right.term else {
        panic!("not an array: {right:?}");
    };
    assert_eq!(items[0].at, At::Pointer("/args/1/0".into()));
}

#[test]
fn wkt_polygons_keep_their_holes_and_drop_z() {
    let Expr::Compare { left, .. } =
        text("POLYGON Z ((0 0 1, 10 0 1, 10 10 1, 0 0 1), (1 1 0, 2 1 0, 2 2 0, 1 1 0), (5 5, 6 5, 6 6, 5 5)) = g")
    else {
        panic!("not a comparison");
    };
    let Term::Geometry(Geometry::Polygon(polygon)) = left.term else {
        panic!("not a polygon: {left:?}");
    };
    assert_eq!(polygon.exterior().0.len(), 4);
    assert_eq!(polygon.interiors().len(), 2);
    assert_eq!(polygon.interiors()[1].0[1], coord! { x: 6.0, y: 5.0 });
}

#[test]
fn quoting_and_escaping() {
    let cmp = |left, right| Expr::Compare {
        op: CompareOp::Eq,
        left,
        right,
        at: At::Char(0),
    };
    assert_eq!(
        text(r#""AND" = 'a''''b'"#),
        cmp(prop("AND"), op(Term::Text("a''b".into())))
    );
    assert_eq!(
        text("x = ''"),
        cmp(prop("x"), op(Term::Text(String::new())))
    );
    assert_eq!(
        text("x = 'say \"hi\" % _'"),
        cmp(prop("x"), op(Term::Text("say \"hi\" % _".into())))
    );
    // Keywords in any case; a quoted keyword is a property.
    assert_eq!(text(r#""date" = 1"#), cmp(prop("date"), num(1.0)));
    assert_eq!(text("x iS nOt NuLl"), text("x IS NOT NULL"));
}

/// (filter, position, words the message must hold)
const TEXT_ERRORS: &[(&str, usize, &[&str])] = &[
    ("name = ", 8, &["ends", "value"]),
    ("foo LIKE 3 AND x ~ 2", 18, &["'~'", "comparison"]),
    ("", 1, &["empty"]),
    ("   ", 1, &["empty"]),
    ("x = 1 xyz", 7, &["unexpected 'xyz' after the end of the filter"]),
    ("x = 1)", 6, &["')'"]),
    ("(x = 1", 7, &["')'", "character 1"]),
    ("T_AFTER(d, TIMESTAMP('2024-01-01T00:00:00Z'))", 1, &[
        "T_AFTER",
        "temporal functions are not supported; compare with <, >, BETWEEN, or use the datetime parameter",
    ]),
    ("d = T_AFTER(a, b)", 5, &["temporal functions are not supported"]),
    ("ACCENTI(name) = 'x'", 1, &["ACCENTI", "not supported", "CASEI"]),
    ("UPPER(name) = 'X'", 1, &["unknown function UPPER", "S_INTERSECTS", "CASEI"]),
    ("myfunc(a) AND TRUE", 1, &["unknown function myfunc"]),
    ("x = 1 + 2", 7, &["arithmetic is not supported", "'+'"]),
    ("x - 2 = 1", 3, &["arithmetic is not supported"]),
    ("x = 2 * y", 7, &["arithmetic is not supported", "'*'"]),
    ("x = 2 / y", 7, &["arithmetic is not supported"]),
    ("x = 2 % y", 7, &["arithmetic is not supported"]),
    ("x = 2 div y", 7, &["arithmetic is not supported"]),
    ("x = INTERVAL('2024-01-01', '2024-02-01')", 5, &["INTERVAL", "not supported"]),
    ("x = 'abc", 5, &["not closed"]),
    ("\"abc = 1", 1, &["not closed"]),
    ("x = 1e999", 5, &["too large"]),
    ("x = 12abc", 5, &["not a number"]),
    ("x = 1e", 5, &["not a number"]),
    ("t > TIMESTAMP('2024-05-01T10:00:00')", 15, &["not a timestamp", "YYYY-MM-DDTHH:MM:SSZ"]),
    ("t > TIMESTAMP('yesterday')", 15, &["not a timestamp"]),
    ("t > TIMESTAMP(2024)", 15, &["single quotes"]),
    ("d = DATE('2024-02-30')", 10, &["not a date", "YYYY-MM-DD"]),
    ("d = DATE('2024-5-1')", 10, &["not a date"]),
    ("d = DATE('2024-05-01T00:00:00Z')", 10, &["not a date"]),
    ("date = 1", 6, &["'(' after DATE", "double quotes"]),
    ("x = NULL", 5, &["keyword NULL", "IS NULL"]),
    ("AND = 1", 1, &["keyword AND"]),
    ("x IN ()", 7, &["empty"]),
    ("x IN (1, 2", 11, &["ends", "')'"]),
    ("x BETWEEN 1 OR 2", 13, &["AND between"]),
    ("x IS 3", 6, &["NULL"]),
    ("x NOT = 3", 7, &["LIKE, BETWEEN or IN after NOT"]),
    ("x", 2, &["ends", "comparison"]),
    ("is_open AND x = 1", 9, &["found 'AND'", "write is_open = TRUE"]),
    ("x = 1 AND \u{7}", 11, &["'\\u{7}'"]),
    ("x != 1", 3, &["'!='", "<>"]),
    ("x = (1, 2)", 5, &["found '('"]),
    ("x = 1 AND", 10, &["ends"]),
    ("S_INTERSECTS(g)", 15, &["','", "second argument of S_INTERSECTS"]),
    ("S_INTERSECTS(g, POINT(1 2), x)", 27, &["')'"]),
    ("g = S_INTERSECTS(a, b)", 5, &["condition of its own"]),
    ("S_INTERSECTS(g, POINT EMPTY)", 23, &["empty geometries are not supported"]),
    ("S_INTERSECTS(g, GEOMETRYCOLLECTION(POINT Z EMPTY))", 44, &["empty geometries are not supported"]),
    ("S_INTERSECTS(g, POINT(1))", 24, &["a number"]),
    ("S_INTERSECTS(g, POINT(1 2 3 4))", 29, &["fourth"]),
    ("S_INTERSECTS(g, LINESTRING(1 2))", 27, &["at least 2 positions"]),
    ("S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 1)))", 25, &["not closed"]),
    ("S_INTERSECTS(g, POLYGON((0 0, 1 0, 0 0)))", 25, &["at least 4 positions"]),
    ("S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 0), (5 5, 6 6, 5 5)))", 47, &["at least 4"]),
    ("S_INTERSECTS(g, BBOX(1, 2, 3))", 21, &["4 numbers", "not 3"]),
    ("S_INTERSECTS(g, BBOX(1, 2, 'x', 4))", 28, &["a number"]),
    ("S_INTERSECTS(g, GEOMETRYCOLLECTION(x))", 36, &["a geometry"]),
    ("S_INTERSECTS(g, POINT 1 2)", 23, &["'(' and the coordinates of the POINT"]),
    ("A_CONTAINS(tags, ('a', )", 24, &["a property name or a value"]),
];

#[test]
fn text_errors_say_what_and_where() {
    let mut wrong = Vec::new();
    for (filter, at, words) in TEXT_ERRORS {
        let e = text_error(filter);
        if e.at != At::Char(*at) || !words.iter().all(|w| e.message.contains(w)) {
            wrong.push(format!("{filter:?} (expected at {at}, {words:?}): {e}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// (filter, pointer, words the message must hold)
const JSON_ERRORS: &[(&str, &str, &[&str])] = &[
    ("{\"op\": ", "", &["not valid JSON", "line 1, column 7"]),
    ("3", "", &["expected a condition", "the number 3"]),
    (r#"{"args":[]}"#, "", &["\"op\""]),
    (r#"{"op":7,"args":[]}"#, "/op", &["must be a string"]),
    (r#"{"op":"="}"#, "", &["needs \"args\""]),
    (r#"{"op":"=","args":{}}"#, "/args", &["must be an array"]),
    (r#"{"op":"=","args":[1]}"#, "/args", &["takes 2 arguments, found 1"]),
    (r#"{"op":"and","args":[true]}"#, "/args", &["at least 2"]),
    (r#"{"op":"not","args":[true,false]}"#, "/args", &["one argument"]),
    (r#"{"op":"=","args":[{"property":"a"},{"what":1}]}"#, "/args/1", &["expected a value"]),
    (r#"{"op":"=","args":[{"property":"a"},null]}"#, "/args/1", &["null", "isNull"]),
    (r#"{"op":"=","args":[{"property":"a"},[1]]}"#, "/args/1", &["array is only allowed"]),
    (r#"{"op":"=","args":[{"property":7},1]}"#, "/args/0/property", &["must be a string"]),
    (r#"{"op":"and","args":[true,{"op":"t_after","args":[]}]}"#, "/args/1/op", &[
        "t_after",
        "temporal functions are not supported; compare with <, >, BETWEEN, or use the datetime parameter",
    ]),
    (r#"{"op":"=","args":[{"op":"+","args":[1,2]},3]}"#, "/args/0/op", &["arithmetic is not supported"]),
    (r#"{"op":"=","args":[{"op":"accenti","args":["a"]},"a"]}"#, "/args/0/op", &["accenti", "not supported"]),
    (r#"{"op":"=","args":[{"op":"upper","args":["a"]},"A"]}"#, "/args/0/op", &["unknown operator \"upper\""]),
    (r#"{"op":"upper","args":["a"]}"#, "/op", &["unknown operator \"upper\"", "s_intersects"]),
    (r#"{"op":"=","args":[{"op":"=","args":[1,1]},true]}"#, "/args/0/op", &["condition \"=\""]),
    (r#"{"function":{"name":"f","args":[]}}"#, "/function", &["functions are not supported"]),
    (r#"{"op":"=","args":[{"function":{"name":"f"}},1]}"#, "/args/0/function", &["functions are not supported"]),
    (r#"{"op":"t_during","args":[{"interval":["a","b"]},{"property":"d"}]}"#, "/op", &["temporal"]),
    (r#"{"op":"=","args":[{"interval":["a","b"]},1]}"#, "/args/0", &["interval", "not supported"]),
    (r#"{"op":"casei","args":["a"]}"#, "/op", &["value, not a condition"]),
    (r#"{"op":">","args":[{"property":"t"},{"timestamp":"2024-01-01"}]}"#, "/args/1/timestamp", &["not a timestamp", "YYYY-MM-DDTHH:MM:SSZ"]),
    (r#"{"op":">","args":[{"property":"t"},{"date":"01/02/2024"}]}"#, "/args/1/date", &["not a date", "YYYY-MM-DD"]),
    (r#"{"op":"in","args":[{"property":"t"},"a"]}"#, "/args/1", &["must be an array"]),
    (r#"{"op":"in","args":[{"property":"t"},[]]}"#, "/args/1", &["empty"]),
    (r#"{"op":"in","args":[{"property":"t"},["a",[1]]]}"#, "/args/1/1", &["array is only allowed"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"Point","bbox":[1,2,1,2],"coordinates":[1]}]}"#, "/args/1/coordinates", &["2 numbers"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"bbox":[1,2,3]}]}"#, "/args/1/bbox", &["4 numbers"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"bbox":[1,2,"3",4]}]}"#, "/args/1/bbox/2", &["expected a number"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"Point","coordinates":[]}]}"#, "/args/1/coordinates", &["empty geometries are not supported"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"Point","coordinates":[1]}]}"#, "/args/1/coordinates", &["2 numbers"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"Circle","coordinates":[1,2]}]}"#, "/args/1/type", &["not a GeoJSON geometry type"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}]}"#, "/args/1/coordinates/0", &["not closed"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0,0],[0,0]]]}]}"#, "/args/1/coordinates/1", &["at least 4"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"LineString","coordinates":[[0,0]]}]}"#, "/args/1/coordinates", &["at least 2"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"GeometryCollection","geometries":[]}]}"#, "/args/1/geometries", &["empty geometries"]),
    (r#"{"op":"s_intersects","args":[{"property":"g"},{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,"x"]}]}]}"#, "/args/1/geometries/0/coordinates/1", &["expected a number"]),
];

#[test]
fn json_errors_say_what_and_where() {
    let mut wrong = Vec::new();
    for (filter, pointer, words) in JSON_ERRORS {
        let e = json_error(filter);
        if e.at != At::Pointer(pointer.to_string()) || !words.iter().all(|w| e.message.contains(w))
        {
            wrong.push(format!(
                "{filter} (expected at {pointer:?}, {words:?}): {e}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let message = "the filter is nested too deeply (more than 64 levels)";
    // 64 levels are fine, 65 are not.
    let ok = format!("{}x = 1{}", "(".repeat(64), ")".repeat(64));
    assert!(parse_text(&ok).is_ok());
    let deep = format!("{}x = 1{}", "(".repeat(65), ")".repeat(65));
    assert_eq!(text_error(&deep).message, message);
    assert_eq!(text_error(&deep).at, At::Char(65));
    for hostile in [
        "NOT ".repeat(100_000) + "x = 1",
        "(".repeat(100_000),
        format!("A_CONTAINS(t, {})", "(".repeat(100_000)),
        format!("x = {}y{}", "CASEI(".repeat(100), ")".repeat(100)),
        format!(
            "S_WITHIN(g, {}POINT(1 2){})",
            "GEOMETRYCOLLECTION(".repeat(100),
            ")".repeat(100)
        ),
    ] {
        assert_eq!(text_error(&hostile).message, message);
    }
    let mut deep_json = String::from("true");
    for _ in 0..70 {
        deep_json = format!(r#"{{"op":"not","args":[{deep_json}]}}"#);
    }
    // serde_json's own limit (128 arrays and objects) is reported the same way.
    assert_eq!(json_error(&deep_json).message, message);
    let mut value = serde_json::json!(true);
    for _ in 0..64 {
        value = serde_json::json!({"op": "not", "args": [value]});
    }
    assert!(parse_json_value(&value).is_ok());
    let value = serde_json::json!({"op": "not", "args": [value]});
    let e = parse_json_value(&value).expect_err("65 levels");
    assert_eq!(
        (e.message.as_str(), e.at),
        (message, At::Pointer("/args/0".repeat(65)))
    );
    let mut deep_array = String::from("1");
    for _ in 0..70 {
        deep_array = format!("[{deep_array}]");
    }
    let filter = format!(r#"{{"op":"a_contains","args":[{{"property":"t"}},{deep_array}]}}"#);
    assert_eq!(json_error(&filter).message, message);
}

#[test]
fn huge_input_is_refused() {
    let big = format!("x IN ({})", vec!["1"; 600_000].join(","));
    assert!(text_error(&big).message.contains("too long"));
    let big_json = format!(
        r#"{{"op":"in","args":[{{"property":"x"}},[{}]]}}"#,
        vec!["1"; 600_000].join(",")
    );
    assert!(json_error(&big_json).message.contains("too long"));
}
