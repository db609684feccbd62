//! Strict query-string parsing: unknown parameters and malformed values are rejected with a
//! problem document that names the parameter.

use crate::errors::ApiError;

/// The query parameters of one request, checked against the names an endpoint accepts.
#[derive(Debug)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `query` and rejects any parameter not in `allowed`.
    pub fn parse(query: &str, allowed: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|e| {
            ApiError::bad_request(format!("The query string could not be read: {e}"))
        })?;
        for (k, _) in &pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::bad_param(
                    k,
                    format!(
                        "is not a parameter of this endpoint; allowed: {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(Params { pairs })
    }

    /// A single-valued parameter (repeating it is an error); empty values count as absent.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_param(
                name,
                "is given more than once; give it once",
            ));
        }
        Ok(first.map(str::trim).filter(|v| !v.is_empty()))
    }

    /// A single-valued parameter as given, trimmed, even when empty (`f=` is `Some("")`).
    pub fn one_as_given(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_param(
                name,
                "is given more than once; give it once",
            ));
        }
        Ok(first)
    }

    /// A list parameter: repeatable and/or comma-separated; blanks dropped.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A list parameter whose items are parsed with `parse` (errors name the parameter).
    pub fn list_of<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, assetmap_core::FieldError>,
    ) -> Result<Vec<T>, ApiError> {
        self.list(name)
            .into_iter()
            .map(|v| parse(v).map_err(|e| ApiError::bad_param(name, e.problem)))
            .collect()
    }

    /// A whole number in `range`; `what` completes the sentence "must be …".
    pub fn integer(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.one(name)? else {
            return Ok(None);
        };
        let n: i64 = v.parse().map_err(|_| {
            ApiError::bad_param(
                name,
                format!(
                    "{v:?} is not a whole number; use one from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })?;
        if !range.contains(&n) {
            return Err(ApiError::bad_param(
                name,
                format!(
                    "{n} is out of range; use a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            ));
        }
        Ok(Some(n))
    }

    /// A finite decimal number in `range`.
    pub fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> Result<Option<f64>, ApiError> {
        let Some(v) = self.one(name)? else {
            return Ok(None);
        };
        let n: f64 = v
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| ApiError::bad_param(name, format!("{v:?} is not a number")))?;
        if !range.contains(&n) {
            return Err(ApiError::bad_param(
                name,
                format!(
                    "{n} is out of range; use a number from {} to {}",
                    range.start(),
                    range.end()
                ),
            ));
        }
        Ok(Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_and_repeated() {
        let e = Params::parse("limit=5&colour=red", &["limit"]).unwrap_err();
        assert!(e.detail().contains("colour"));
        let p = Params::parse("limit=5&limit=6", &["limit"]).unwrap();
        assert!(p.one("limit").is_err());
    }

    #[test]
    fn lists_and_numbers() {
        let p = Params::parse(
            "category=a,b&category=c&limit=abc&n=3",
            &["category", "limit", "n"],
        )
        .unwrap();
        assert_eq!(p.list("category"), vec!["a", "b", "c"]);
        assert!(p.integer("limit", 1..=10).is_err());
        assert_eq!(p.integer("n", 1..=10).unwrap(), Some(3));
        assert!(p.integer("n", 5..=10).is_err());
    }
}
