// The build script of every function that serves other modules (the audit
// log, `automation`, the rule runner), included by its `build.rs`: it reads
// the function's `Cargo.toml` and writes `$OUT_DIR/modules.rs`, the list
// of the `register` functions of every module crate it depends on (each
// `opsflow-*` dependency but the kernel). The function's `main.rs`
// includes that list, so a module joins a consumer with one dependency
// line in the consumer's `Cargo.toml`.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let manifest = std::fs::read_to_string(format!("{dir}/Cargo.toml"))
        .expect("the function's Cargo.toml is readable");
    let mut in_dependencies = false;
    let mut modules = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
        if in_dependencies && name.starts_with("opsflow-") && name != "opsflow-platform" {
            modules.push(format!("::{}::register", name.replace('-', "_")));
        }
    }
    let list = format!(
        "/// The `register` function of every module this function depends on.\n\
         const MODULES: &[fn(&mut ::opsflow_platform::registry::Registry)] = &[{}];\n",
        modules.join(", ")
    );
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{out}/modules.rs"), list).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=Cargo.toml");
}
