pub fn parse_text(_: &str) -> Result<crate::Expr, crate::ParseError> {
    todo!()
}
