//! cql2-text (OGC 21-065r2, CQL2 1.0): a small tokenizer that notes where each token starts,
//! and a recursive-descent parser over its tokens.
//!
//! Grammar read (keywords in any case):
//!
//! ```text
//! filter    = or END
//! or        = and { OR and }
//! and       = not { AND not }
//! not       = NOT not | primary
//! primary   = "(" or ")" | S_xxx "(" operand "," operand ")"
//!           | A_xxx "(" operand-or-array "," operand-or-array ")" | predicate
//! predicate = operand ( cmp operand | [NOT] LIKE operand | [NOT] BETWEEN operand AND operand
//!           | [NOT] IN "(" operand { "," operand } ")" | IS [NOT] NULL )
//!           | TRUE | FALSE
//! operand   = property | 'text' | number | TRUE | FALSE | TIMESTAMP('…') | DATE('…')
//!           | CASEI(operand) | BBOX(n, n, n, n [, n, n]) | WKT geometry
//! ```

use crate::shared::{self, Encoding, MAX_DEPTH, MAX_INPUT_BYTES};
use crate::{At, Expr, Operand, ParseError, Term};
use geo_types::{Coord, Geometry};

/// Parses a filter written in cql2-text.
///
/// # Errors
///
/// A [`ParseError`] at the character where the filter stops making sense, saying what was
/// found and what was expected; also for the parts of CQL2 that are not supported (temporal
/// functions, arithmetic, `INTERVAL`, `ACCENTI`, other functions, empty geometries).
pub fn parse_text(input: &str) -> Result<Expr, ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ParseError {
            at: At::Char(1),
            message: shared::too_long(input.len()),
        });
    }
    let chars: Vec<char> = input.chars().collect();
    let tokens = tokenize(&chars)?;
    let mut parser = Parser {
        chars,
        tokens,
        pos: 0,
        depth: 0,
    };
    if parser.peek().kind == Kind::End {
        return Err(parser.error_at(
            1,
            "the filter is empty; write a condition such as name = 'x'",
        ));
    }
    let expr = parser.or()?;
    let rest = parser.peek().clone();
    match rest.kind {
        Kind::End => Ok(expr),
        Kind::Symbol(")") => Err(parser.error_at(
            rest.at,
            "there is a ')' here without a '(' before it that it closes",
        )),
        _ => Err(parser.error_at(
            rest.at,
            &format!(
                "unexpected {} after the end of the filter; join conditions with AND or OR",
                parser.describe(&rest)
            ),
        )),
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A bare name or keyword, as written.
    Word(String),
    /// A double-quoted name, unescaped.
    Quoted(String),
    /// A single-quoted character literal, unescaped.
    Text(String),
    /// An unsigned number.
    Number(f64),
    /// Punctuation and operators: `( ) , = <> < <= > >= + - * / %`.
    Symbol(&'static str),
    /// Any other character (or `!=`).
    Other,
    /// The end of the input.
    End,
}

/// A token and where it was written: characters `at..end` counted from 1 (`end` is one past
/// its last character).
#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    at: usize,
    end: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | ':')
}

/// Splits the input into tokens; fails only on unclosed quotes and malformed numbers.
fn tokenize(chars: &[char]) -> Result<Vec<Token>, ParseError> {
    let error = |at: usize, message: String| ParseError {
        at: At::Char(at),
        message,
    };
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let start = i;
        let kind = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '\'' || c == '"' {
            let (value, next) = quoted(chars, i, c).ok_or_else(|| {
                let what = if c == '\'' {
                    "the character string starting here is not closed; end it with ' (and write '' for a quote inside it)"
                } else {
                    "the quoted name starting here is not closed; end it with \" (and write \"\" for a quote inside it)"
                };
                error(start + 1, what.to_string())
            })?;
            i = next;
            if c == '\'' {
                Kind::Text(value)
            } else if value.is_empty() {
                return Err(error(
                    start + 1,
                    "a quoted property name cannot be empty".into(),
                ));
            } else {
                Kind::Quoted(value)
            }
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let (n, next) = number(chars, i)?;
            i = next;
            Kind::Number(n)
        } else if is_name_start(c) {
            while chars.get(i).is_some_and(|&c| is_name_char(c)) {
                i += 1;
            }
            Kind::Word(chars[start..i].iter().collect())
        } else {
            let next = chars.get(i + 1).copied();
            let (symbol, len) = match (c, next) {
                ('<', Some('=')) => ("<=", 2),
                ('<', Some('>')) => ("<>", 2),
                ('>', Some('=')) => (">=", 2),
                ('(', _) => ("(", 1),
                (')', _) => (")", 1),
                (',', _) => (",", 1),
                ('=', _) => ("=", 1),
                ('<', _) => ("<", 1),
                ('>', _) => (">", 1),
                ('+', _) => ("+", 1),
                ('-', _) => ("-", 1),
                ('*', _) => ("*", 1),
                ('/', _) => ("/", 1),
                ('%', _) => ("%", 1),
                ('!', Some('=')) => ("", 2),
                _ => ("", 1),
            };
            i += len;
            if symbol.is_empty() {
                Kind::Other
            } else {
                Kind::Symbol(symbol)
            }
        };
        tokens.push(Token {
            kind,
            at: start + 1,
            end: i + 1,
        });
    }
    tokens.push(Token {
        kind: Kind::End,
        at: chars.len() + 1,
        end: chars.len() + 1,
    });
    Ok(tokens)
}

/// The value of the quoted token opening at `open` (quote character `q`, doubled inside), and
/// the index after it; `None` if it is not closed.
fn quoted(chars: &[char], open: usize, q: char) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut i = open + 1;
    loop {
        let c = *chars.get(i)?;
        if c == q {
            if chars.get(i + 1) == Some(&q) {
                value.push(q);
                i += 2;
            } else {
                return Some((value, i + 1));
            }
        } else {
            value.push(c);
            i += 1;
        }
    }
}

/// The unsigned number starting at `start`, and the index after it.
fn number(chars: &[char], start: usize) -> Result<(f64, usize), ParseError> {
    let digits = |mut i: usize| {
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if chars.get(i) == Some(&'.') {
        i = digits(i + 1);
    }
    let mut complete = true;
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        let end = digits(j);
        complete = end > j;
        i = end;
    }
    while chars.get(i).is_some_and(|&c| is_name_char(c)) {
        complete = false;
        i += 1;
    }
    let written: String = chars[start..i].iter().collect();
    let error = |message: String| ParseError {
        at: At::Char(start + 1),
        message,
    };
    if !complete {
        return Err(error(format!(
            "'{}' is not a number; write numbers like 12, -3.5 or 1.5e3",
            shared::shorten(&written)
        )));
    }
    let n: f64 = written.parse().map_err(|_| {
        error(format!(
            "'{}' is not a number; write numbers like 12, -3.5 or 1.5e3",
            shared::shorten(&written)
        ))
    })?;
    let n = shared::finite(n, &written).map_err(error)?;
    Ok((n, i))
}

/// The geometry types of WKT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GeometryType {
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
    GeometryCollection,
}

fn geometry_type(word: &str) -> Option<GeometryType> {
    let t = match word.to_ascii_uppercase().as_str() {
        "POINT" => GeometryType::Point,
        "LINESTRING" => GeometryType::LineString,
        "POLYGON" => GeometryType::Polygon,
        "MULTIPOINT" => GeometryType::MultiPoint,
        "MULTILINESTRING" => GeometryType::MultiLineString,
        "MULTIPOLYGON" => GeometryType::MultiPolygon,
        "GEOMETRYCOLLECTION" => GeometryType::GeometryCollection,
        _ => return None,
    };
    Some(t)
}

/// The keywords that can never be a property name or a value.
const OPERATOR_KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "DIV",
];

struct Parser {
    chars: Vec<char>,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

type Parsed<T> = Result<T, ParseError>;

impl Parser {
    // ---- tokens ----

    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    /// The token `ahead` places on; the end token past the end.
    fn peek_at(&self, ahead: usize) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[(self.pos + ahead).min(last)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    /// Whether the next token is the keyword `keyword` (any case).
    fn is_word(&self, keyword: &str) -> bool {
        matches!(&self.peek().kind, Kind::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_word(&mut self, keyword: &str) -> bool {
        let found = self.is_word(keyword);
        if found {
            self.advance();
        }
        found
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek().kind, Kind::Symbol(s) if s == symbol)
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.is_symbol(symbol);
        if found {
            self.advance();
        }
        found
    }

    /// Takes the symbol `symbol`, or fails saying `expected` was expected.
    fn expect_symbol(&mut self, symbol: &str, expected: &str) -> Parsed<Token> {
        if self.is_symbol(symbol) {
            Ok(self.advance())
        } else {
            Err(self.unexpected(expected))
        }
    }

    // ---- messages ----

    /// The token as written, quoted for a message.
    fn describe(&self, token: &Token) -> String {
        if token.kind == Kind::End {
            return "the end of the filter".to_string();
        }
        let from = token.at.saturating_sub(1).min(self.chars.len());
        let to = token.end.saturating_sub(1).clamp(from, self.chars.len());
        let written: String = self.chars[from..to]
            .iter()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
        format!("'{}'", shared::shorten(&written))
    }

    /// The text from token `first` (an index) up to the current token, for a message.
    fn written_since(&self, first: usize) -> String {
        let from = self.tokens[first.min(self.tokens.len() - 1)]
            .at
            .saturating_sub(1);
        let to = self.tokens[self.pos.saturating_sub(1)]
            .end
            .saturating_sub(1)
            .clamp(from, self.chars.len());
        let written: String = self.chars[from.min(to)..to].iter().collect();
        shared::shorten(&written)
    }

    fn error_at(&self, at: usize, message: &str) -> ParseError {
        ParseError {
            at: At::Char(at),
            message: message.to_string(),
        }
    }

    /// An error at the next token: `expected` was expected, and something else was found.
    fn unexpected(&self, expected: &str) -> ParseError {
        let token = self.peek();
        let message = if token.kind == Kind::End {
            format!("the filter ends where {expected} was expected")
        } else {
            format!("expected {expected}, found {}", self.describe(token))
        };
        self.error_at(token.at, &message)
    }

    /// Runs `f` one level deeper, or fails if that is too deep.
    fn nested<T>(&mut self, at: usize, f: impl FnOnce(&mut Self) -> Parsed<T>) -> Parsed<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(at, &shared::too_deep()));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    // ---- boolean expressions ----

    fn or(&mut self) -> Parsed<Expr> {
        let first = self.and()?;
        if !self.is_word("OR") {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat_word("OR") {
            parts.push(self.and()?);
        }
        Ok(Expr::Or(parts))
    }

    fn and(&mut self) -> Parsed<Expr> {
        let first = self.not()?;
        if !self.is_word("AND") {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat_word("AND") {
            parts.push(self.not()?);
        }
        Ok(Expr::And(parts))
    }

    fn not(&mut self) -> Parsed<Expr> {
        if self.is_word("NOT") {
            let at = self.advance().at;
            let inner = self.nested(at, |p| p.not())?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Parsed<Expr> {
        let token = self.peek().clone();
        if token.kind == Kind::Symbol("(") {
            self.advance();
            let inner = self.nested(token.at, |p| p.or())?;
            self.expect_symbol(
                ")",
                &format!("')' to close the '(' at character {}", token.at),
            )?;
            return Ok(inner);
        }
        if let Kind::Word(name) = &token.kind {
            if self.peek_at(1).kind == Kind::Symbol("(") {
                if let Some(op) = shared::spatial_op(name) {
                    let (left, right) = self.two_arguments(name, false)?;
                    return Ok(Expr::Spatial {
                        op,
                        left,
                        right,
                        at: At::Char(token.at),
                    });
                }
                if let Some(op) = shared::array_op(name) {
                    let (left, right) = self.two_arguments(name, true)?;
                    return Ok(Expr::Array {
                        op,
                        left,
                        right,
                        at: At::Char(token.at),
                    });
                }
            }
        }
        self.predicate()
    }

    /// `NAME ( a , b )` of a spatial or array function, from its name on.
    fn two_arguments(&mut self, name: &str, arrays: bool) -> Parsed<(Operand, Operand)> {
        let upper = name.to_ascii_uppercase();
        self.advance();
        let open = self.advance();
        self.nested(open.at, |p| {
            let left = p.operand(arrays)?;
            p.expect_symbol(",", &format!("',' and the second argument of {upper}"))?;
            let right = p.operand(arrays)?;
            p.expect_symbol(
                ")",
                &format!("')' to close {upper}, which takes two arguments"),
            )?;
            Ok((left, right))
        })
    }

    /// A predicate that starts with an operand (or a lone `TRUE` / `FALSE`).
    fn predicate(&mut self) -> Parsed<Expr> {
        let first = self.pos;
        let value = self.operand(false)?;
        let token = self.peek().clone();
        let at = At::Char(token.at);
        if let Kind::Symbol(symbol) = token.kind {
            if let Some(op) = shared::compare_op(symbol) {
                self.advance();
                let right = self.operand(false)?;
                return Ok(Expr::Compare {
                    op,
                    left: value,
                    right,
                    at,
                });
            }
        }
        if let Kind::Word(word) = &token.kind {
            let keyword = word.to_ascii_uppercase();
            match keyword.as_str() {
                "LIKE" | "BETWEEN" | "IN" => {
                    self.advance();
                    return self.after_keyword(&keyword, value, at);
                }
                "NOT" => {
                    self.advance();
                    let next = self.peek().clone();
                    let keyword = match &next.kind {
                        Kind::Word(w) => w.to_ascii_uppercase(),
                        _ => String::new(),
                    };
                    if !matches!(keyword.as_str(), "LIKE" | "BETWEEN" | "IN") {
                        return Err(self.unexpected("LIKE, BETWEEN or IN after NOT"));
                    }
                    self.advance();
                    let inner = self.after_keyword(&keyword, value, At::Char(next.at))?;
                    return Ok(Expr::Not(Box::new(inner)));
                }
                "IS" => {
                    self.advance();
                    let negated = self.eat_word("NOT");
                    if !self.eat_word("NULL") {
                        let expected = if negated {
                            "NULL after IS NOT"
                        } else {
                            "NULL or NOT NULL after IS"
                        };
                        return Err(self.unexpected(expected));
                    }
                    let test = Expr::IsNull { value, at };
                    return Ok(if negated {
                        Expr::Not(Box::new(test))
                    } else {
                        test
                    });
                }
                _ => {}
            }
        }
        if let Term::Boolean(b) = value.term {
            return Ok(Expr::Bool(b));
        }
        let message = format!(
            "a comparison (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL after {}",
            self.written_since(first)
        );
        let mut error = self.unexpected(&message);
        let ends_condition = matches!(token.kind, Kind::End | Kind::Symbol(")"))
            || ["AND", "OR"].iter().any(|w| self.is_word(w));
        if token.kind == Kind::Other && self.describe(&token) == "'!='" {
            error.message.push_str("; CQL2 writes 'not equal' as <>");
        } else if let (Term::Property(_), true) = (&value.term, ends_condition) {
            error.message.push_str(&format!(
                "; to test a true/false property, write {} = TRUE",
                self.written_since(first)
            ));
        }
        Err(error)
    }

    /// The rest of a `LIKE`, `BETWEEN` or `IN` predicate, after its keyword.
    fn after_keyword(&mut self, keyword: &str, value: Operand, at: At) -> Parsed<Expr> {
        match keyword {
            "LIKE" => {
                let pattern = self.operand(false)?;
                Ok(Expr::Like { value, pattern, at })
            }
            "BETWEEN" => {
                let low = self.operand(false)?;
                if !self.eat_word("AND") {
                    return Err(self.unexpected("AND between the two ends of BETWEEN"));
                }
                let high = self.operand(false)?;
                Ok(Expr::Between {
                    value,
                    low,
                    high,
                    at,
                })
            }
            _ => {
                let open = self.expect_symbol("(", "'(' and the list of values after IN")?;
                if self.is_symbol(")") {
                    return Err(self.error_at(
                        self.peek().at,
                        "the list after IN is empty; it needs at least one value",
                    ));
                }
                let list = self.nested(open.at, |p| {
                    let mut list = vec![p.operand(false)?];
                    while p.eat_symbol(",") {
                        list.push(p.operand(false)?);
                    }
                    p.expect_symbol(")", "',' and another value, or ')' to end the list of IN")?;
                    Ok(list)
                })?;
                Ok(Expr::In { value, list, at })
            }
        }
    }

    // ---- operands ----

    /// An operand (an array literal too if `arrays`), not followed by arithmetic.
    fn operand(&mut self, arrays: bool) -> Parsed<Operand> {
        let operand = self.term(arrays)?;
        let next = self.peek();
        let arithmetic = match &next.kind {
            Kind::Symbol(s) => shared::is_arithmetic(s),
            Kind::Word(w) => w.eq_ignore_ascii_case("DIV"),
            _ => false,
        };
        if arithmetic {
            let found = self.describe(next);
            let found = found.trim_matches('\'');
            return Err(self.error_at(next.at, &shared::arithmetic_refused(found)));
        }
        Ok(operand)
    }

    fn term(&mut self, arrays: bool) -> Parsed<Operand> {
        let token = self.peek().clone();
        let at = token.at;
        let term = match &token.kind {
            Kind::Number(_) | Kind::Symbol("+" | "-") => Term::Number(self.signed_number()?),
            Kind::Text(s) => {
                self.advance();
                Term::Text(s.clone())
            }
            Kind::Quoted(name) => {
                self.advance();
                Term::Property(name.clone())
            }
            Kind::Symbol("(") if arrays => {
                self.advance();
                let items = self.nested(at, |p| {
                    let mut items = Vec::new();
                    if p.eat_symbol(")") {
                        return Ok(items);
                    }
                    loop {
                        items.push(p.operand(true)?);
                        if !p.eat_symbol(",") {
                            break;
                        }
                    }
                    p.expect_symbol(")", "',' and another item, or ')' to end the array")?;
                    Ok(items)
                })?;
                Term::Array(items)
            }
            Kind::Word(word) => self.word(word)?,
            _ => return Err(self.unexpected("a property name or a value")),
        };
        Ok(Operand {
            term,
            at: At::Char(at),
        })
    }

    /// An operand that starts with a word: a property, `TRUE`/`FALSE`, or a function.
    fn word(&mut self, word: &str) -> Parsed<Term> {
        let upper = word.to_ascii_uppercase();
        let token = self.peek().clone();
        let called = self.peek_at(1).kind == Kind::Symbol("(");
        if OPERATOR_KEYWORDS.contains(&upper.as_str()) {
            let mut message =
                format!("expected a property name or a value, found the keyword {upper}");
            if upper == "NULL" {
                message.push_str("; to test for a missing value write IS NULL");
            }
            return Err(self.error_at(token.at, &message));
        }
        if let Some(kind) = geometry_type(&upper) {
            self.advance();
            return Ok(Term::Geometry(self.geometry(kind, &upper)?));
        }
        match upper.as_str() {
            "TRUE" => {
                self.advance();
                return Ok(Term::Boolean(true));
            }
            "FALSE" => {
                self.advance();
                return Ok(Term::Boolean(false));
            }
            "TIMESTAMP" | "DATE" | "CASEI" | "BBOX" => return self.builtin(&upper),
            _ => {}
        }
        if called {
            let message =
                if shared::spatial_op(&upper).is_some() || shared::array_op(&upper).is_some() {
                    format!("{upper} is a condition of its own and cannot be used as a value")
                } else {
                    shared::unsupported_function(word, Encoding::Text)
                };
            return Err(self.error_at(token.at, &message));
        }
        if upper == "INTERVAL" || upper == "ACCENTI" {
            return Err(self.error_at(
                token.at,
                &shared::unsupported_function(word, Encoding::Text),
            ));
        }
        self.advance();
        Ok(Term::Property(word.to_string()))
    }

    /// `TIMESTAMP('…')`, `DATE('…')`, `CASEI(…)` or `BBOX(…)`, from the keyword on.
    fn builtin(&mut self, keyword: &str) -> Parsed<Term> {
        let name = self.advance();
        if !self.is_symbol("(") {
            let found = self.unexpected(&format!("'(' after {keyword}"));
            return Err(ParseError {
                message: format!(
                    "{} ({keyword} is a keyword; a property of that name must be written in double quotes, \"{}\")",
                    found.message,
                    keyword.to_ascii_lowercase()
                ),
                ..found
            });
        }
        let open = self.advance();
        let term = self.nested(name.at, |p| match keyword {
            "TIMESTAMP" | "DATE" => {
                let literal = p.peek().clone();
                let Kind::Text(text) = &literal.kind else {
                    return Err(p.unexpected(&format!(
                        "a character string in single quotes inside {keyword}(…), e.g. {}",
                        if keyword == "DATE" {
                            "DATE('2024-05-01')"
                        } else {
                            "TIMESTAMP('2024-05-01T10:00:00Z')"
                        }
                    )));
                };
                let term = if keyword == "DATE" {
                    shared::parse_date(text).map(Term::Date)
                } else {
                    shared::parse_timestamp(text).map(Term::Timestamp)
                }
                .map_err(|message| ParseError {
                    at: At::Char(literal.at),
                    message,
                })?;
                p.advance();
                Ok(term)
            }
            "CASEI" => Ok(Term::CaseI(Box::new(p.operand(false)?))),
            _ => {
                let mut numbers = vec![p.signed_number()?];
                while p.eat_symbol(",") {
                    numbers.push(p.signed_number()?);
                }
                if !p.is_symbol(")") {
                    return Err(p.unexpected("',' and another number, or ')' to end BBOX"));
                }
                shared::bbox_from(&numbers)
                    .map(Term::BBox)
                    .map_err(|message| p.error_at(open.at, &message))
            }
        })?;
        self.expect_symbol(")", &format!("')' to close {keyword}"))?;
        Ok(term)
    }

    /// A number with an optional sign.
    fn signed_number(&mut self) -> Parsed<f64> {
        let sign = if self.eat_symbol("-") {
            -1.0
        } else {
            self.eat_symbol("+");
            1.0
        };
        match self.peek().kind {
            Kind::Number(n) => {
                self.advance();
                Ok(sign * n)
            }
            _ => Err(self.unexpected("a number")),
        }
    }

    // ---- WKT geometries ----

    /// A WKT geometry after its type keyword (`POINT`, …).
    fn geometry(&mut self, kind: GeometryType, keyword: &str) -> Parsed<Geometry<f64>> {
        self.eat_word("Z");
        if self.is_word("EMPTY") {
            return Err(self.error_at(self.peek().at, "empty geometries are not supported"));
        }
        if !self.is_symbol("(") {
            return Err(self.unexpected(&format!("'(' and the coordinates of the {keyword}")));
        }
        let geometry: Geometry<f64> = match kind {
            GeometryType::Point => {
                self.advance();
                let c = self.position()?;
                self.expect_symbol(")", "')' to end the POINT")?;
                geo_types::Point(c).into()
            }
            GeometryType::LineString => geo_types::LineString::new(self.line()?).into(),
            GeometryType::Polygon => self.polygon()?.into(),
            GeometryType::MultiPoint => {
                let points = self.list_of(|p| {
                    if p.eat_symbol("(") {
                        let c = p.position()?;
                        p.expect_symbol(")", "')' to end the point")?;
                        Ok(geo_types::Point(c))
                    } else {
                        Ok(geo_types::Point(p.position()?))
                    }
                })?;
                geo_types::MultiPoint(points).into()
            }
            GeometryType::MultiLineString => {
                let lines = self.list_of(|p| Ok(geo_types::LineString::new(p.line()?)))?;
                geo_types::MultiLineString(lines).into()
            }
            GeometryType::MultiPolygon => {
                geo_types::MultiPolygon(self.list_of(|p| p.polygon())?).into()
            }
            GeometryType::GeometryCollection => {
                let at = self.peek().at;
                let parts = self.nested(at, |p| {
                    p.list_of(|p| {
                        let token = p.peek().clone();
                        let kind = match &token.kind {
                            Kind::Word(w) => geometry_type(w),
                            _ => None,
                        };
                        let Some(kind) = kind else {
                            return Err(p.unexpected(
                                "a geometry (POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON or GEOMETRYCOLLECTION)",
                            ));
                        };
                        p.advance();
                        let keyword = p.describe(&token).trim_matches('\'').to_ascii_uppercase();
                        p.geometry(kind, &keyword)
                    })
                })?;
                Geometry::GeometryCollection(geo_types::GeometryCollection(parts))
            }
        };
        Ok(geometry)
    }

    /// `( item , item … )` where `item` reads one item.
    fn list_of<T>(&mut self, mut item: impl FnMut(&mut Self) -> Parsed<T>) -> Parsed<Vec<T>> {
        self.expect_symbol("(", "'('")?;
        let mut items = vec![item(self)?];
        while self.eat_symbol(",") {
            items.push(item(self)?);
        }
        self.expect_symbol(")", "',' or ')'")?;
        Ok(items)
    }

    /// A position: `x y`, or `x y z` (z dropped).
    fn position(&mut self) -> Parsed<Coord<f64>> {
        let x = self.signed_number()?;
        let y = self.signed_number()?;
        if matches!(self.peek().kind, Kind::Number(_) | Kind::Symbol("+" | "-")) {
            self.signed_number()?;
        }
        if matches!(self.peek().kind, Kind::Number(_) | Kind::Symbol("+" | "-")) {
            return Err(self.error_at(
                self.peek().at,
                "a position has 2 numbers (x y) or 3 (x y z); a fourth is not supported",
            ));
        }
        Ok(Coord { x, y })
    }

    /// The positions of a line or ring, `(x y, x y, …)`, and where its `(` is.
    fn positions(&mut self) -> Parsed<(usize, Vec<Coord<f64>>)> {
        let at = self.peek().at;
        Ok((at, self.list_of(|p| p.position())?))
    }

    fn line(&mut self) -> Parsed<Vec<Coord<f64>>> {
        let (at, line) = self.positions()?;
        shared::check_line(&line).map_err(|m| self.error_at(at, &m))?;
        Ok(line)
    }

    fn polygon(&mut self) -> Parsed<geo_types::Polygon<f64>> {
        let rings = self.list_of(|p| {
            let (at, ring) = p.positions()?;
            shared::check_ring(&ring).map_err(|m| p.error_at(at, &m))?;
            Ok(ring)
        })?;
        Ok(shared::polygon(rings))
    }
}
