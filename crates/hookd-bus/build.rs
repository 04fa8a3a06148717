fn main() {
    println!("cargo:rerun-if-changed=../../proto/hookd/v1/bus.proto");
    // The vendored protoc makes the build need nothing installed by hand.
    let protoc = protoc_bin_vendored::protoc_bin_path().expect("vendored protoc");
    prost_build::Config::new()
        .protoc_executable(protoc)
        .compile_protos(&["../../proto/hookd/v1/bus.proto"], &["../../proto"])
        .expect("compile proto/hookd/v1/bus.proto");
}
