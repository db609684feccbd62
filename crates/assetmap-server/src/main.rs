//! The `assetmap` binary. Everything lives in the library so tests run the same code.
fn main() -> anyhow::Result<()> {
    assetmap_server::cli::main()
}
