//! Validation errors that name the field and say what is wrong with it.

use std::fmt;

/// Longest field path kept in an error (a path is built from the input's own keys).
const MAX_FIELD_CHARS: usize = 200;

/// One problem with one field of an input, e.g. `location.lat`: "95 is outside -90..=90".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path of the offending field, as it appears in the input (`contact.email`).
    pub field: String,
    /// A sentence saying what is wrong and what would be accepted.
    pub problem: String,
}

impl FieldError {
    /// A problem with `field`. Any input the problem quotes is cut to
    /// [`crate::text::MAX_ECHO_CHARS`] characters with "…", and the whole problem to
    /// [`crate::text::MAX_PROBLEM_CHARS`], so an error never echoes a huge value whole.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        let field: String = field.into();
        let field = if field.chars().count() > MAX_FIELD_CHARS {
            let mut f: String = field.chars().take(MAX_FIELD_CHARS).collect();
            f.push('…');
            f
        } else {
            field
        };
        Self {
            field,
            problem: crate::text::shorten_echoes(&problem.into()),
        }
    }

    /// The same problem, reported under a parent field (`periods[0]` → `opening_times.periods[0]`).
    #[must_use]
    pub fn under(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for FieldError {}

/// Every problem found in one input, so a client can fix them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// The individual problems.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Collects field errors while converting an input, so all of them are reported at once.
#[derive(Debug, Default)]
pub(crate) struct Collector(Vec<FieldError>);

impl Collector {
    /// Keeps the value, or records the error and returns `None`.
    pub(crate) fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub(crate) fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub(crate) fn finish(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}
