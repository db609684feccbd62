pub fn parse_json(_: &str) -> Result<crate::Expr, crate::ParseError> {
    todo!()
}
pub fn parse_json_value(_: &serde_json::Value) -> Result<crate::Expr, crate::ParseError> {
    todo!()
}
