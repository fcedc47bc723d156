//! Build script: the linker arguments of a Python extension module (on macOS, symbols left to
//! the interpreter that loads the module; nothing on Linux).

fn main() {
    pyo3_build_config::add_extension_module_link_args();
}
