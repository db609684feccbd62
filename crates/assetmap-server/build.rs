//! Rebuild when the embedded web page or its vendored assets change.
fn main() {
    println!("cargo:rerun-if-changed=../../web");
}
