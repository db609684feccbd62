//! Helpers shared by the tests: positions cleared so that a text and a JSON filter can be
//! compared.
#![allow(dead_code)] // each test file uses its own part of the helpers

use assetmap_cql2::{At, Expr, Operand, Term};

/// The expression with every position set to `At::Char(0)`.
pub fn strip(mut expr: Expr) -> Expr {
    strip_expr(&mut expr);
    expr
}

fn strip_expr(expr: &mut Expr) {
    match expr {
        Expr::Bool(_) => {}
        Expr::And(parts) | Expr::Or(parts) => parts.iter_mut().for_each(strip_expr),
        Expr::Not(inner) => strip_expr(inner),
        Expr::Compare { at, .. }
        | Expr::Like { at, .. }
        | Expr::Between { at, .. }
        | Expr::In { at, .. }
        | Expr::IsNull { at, .. }
        | Expr::Spatial { at, .. }
        | Expr::Array { at, .. } => *at = At::Char(0),
    }
    expr.visit_operands_mut(&mut |o: &mut Operand| o.at = At::Char(0));
}

/// An operand without a position.
pub fn op(term: Term) -> Operand {
    Operand {
        term,
        at: At::Char(0),
    }
}

/// A property operand without a position.
pub fn prop(name: &str) -> Operand {
    op(Term::Property(name.to_string()))
}

/// A number operand without a position.
pub fn num(n: f64) -> Operand {
    op(Term::Number(n))
}
