//! Writes `report.html` into an output folder of `casc fit` or `casc predict`:
//! `cargo run -p casc-report --example report_demo -- DIR`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .ok_or("usage: report_demo OUTPUT_FOLDER")?;
    let path = casc_report::write_report(std::path::Path::new(&dir))?;
    println!("{}", path.display());
    Ok(())
}
