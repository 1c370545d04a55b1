//! `wasmgate-componentize`: the few `wit-bindgen` and `wasm-tools` steps that wasmgate's C and Go
//! guests need, as one small binary built from library crates (a cold build is about a minute,
//! where `cargo install wasm-tools wit-bindgen-cli` takes eight).
//!
//! ```text
//! wasmgate-componentize bindgen-c  [--wit DIR] [--world NAME] OUTDIR
//! wasmgate-componentize bindgen-go [--wit DIR] [--world NAME] OUTDIR
//! wasmgate-componentize embed      [--wit DIR] [--world NAME] CORE.wasm OUT.wasm
//! wasmgate-componentize new        CORE.wasm OUT.wasm
//! wasmgate-componentize strip      IN.wasm OUT.wasm
//! ```
//!
//! - `bindgen-c` / `bindgen-go` are `wit-bindgen c` / `wit-bindgen go` with default options.
//! - `embed` is `wasm-tools component embed`: appends the world's `component-type` custom section
//!   (UTF-8 strings) to a core module whose bindings did not link one in (Go).
//! - `new` is `wasm-tools component new --adapt wasi_snapshot_preview1=<reactor adapter>`, with
//!   the reactor adapter of `wasi-preview1-component-adapter-provider` (the wasmtime release the
//!   host uses), and validates the result.
//! - `strip` drops the custom sections a component does not need (debug info, names, producers)
//!   and keeps `component-type*`, which `new` reads.
//!
//! `--wit` defaults to the repository's `wit/auth` and `--world` to `authorizer`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wit_bindgen_core::{Files, WorldGenerator};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::{Resolve, WorldId};

const USAGE: &str = "usage:
  wasmgate-componentize bindgen-c  [--wit DIR] [--world NAME] OUTDIR
  wasmgate-componentize bindgen-go [--wit DIR] [--world NAME] OUTDIR
  wasmgate-componentize embed      [--wit DIR] [--world NAME] CORE.wasm OUT.wasm
  wasmgate-componentize new        CORE.wasm OUT.wasm
  wasmgate-componentize strip      IN.wasm OUT.wasm";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wasmgate-componentize: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The parsed command line: a subcommand, its WIT options and its positional arguments.
struct Args {
    command: String,
    wit: PathBuf,
    world: String,
    positional: Vec<PathBuf>,
}

impl Args {
    /// Exactly `N` positional paths, or a usage error.
    fn paths<const N: usize>(&self) -> Result<[&Path; N]> {
        let paths: Vec<&Path> = self.positional.iter().map(PathBuf::as_path).collect();
        paths
            .try_into()
            .map_err(|_| anyhow::anyhow!("`{}` takes {N} path argument(s)\n{USAGE}", self.command))
    }
}

fn parse(args: Vec<String>) -> Result<Args> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        bail!("missing subcommand\n{USAGE}");
    };
    if command == "-h" || command == "--help" {
        println!("{USAGE}");
        std::process::exit(0);
    }
    let mut parsed = Args {
        command,
        wit: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit/auth"),
        world: "authorizer".into(),
        positional: Vec::new(),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--wit" => parsed.wit = args.next().context("--wit needs a directory")?.into(),
            "--world" => parsed.world = args.next().context("--world needs a name")?,
            flag if flag.starts_with("--") => bail!("unknown option `{flag}`\n{USAGE}"),
            _ => parsed.positional.push(arg.into()),
        }
    }
    Ok(parsed)
}

fn run(args: Vec<String>) -> Result<()> {
    let args = parse(args)?;
    match args.command.as_str() {
        "bindgen-c" => {
            let [out] = args.paths()?;
            bindgen(&args, wit_bindgen_c::Opts::default().build(), out)
        }
        "bindgen-go" => {
            let [out] = args.paths()?;
            bindgen(&args, wit_bindgen_go::Opts::default().build(), out)
        }
        "embed" => {
            let [core, out] = args.paths()?;
            let (resolve, world) = load_world(&args)?;
            let mut bytes = read(core)?;
            wit_component::embed_component_metadata(
                &mut bytes,
                &resolve,
                world,
                StringEncoding::UTF8,
                false,
            )?;
            write(out, &bytes)
        }
        "new" => {
            let [core, out] = args.paths()?;
            let component = ComponentEncoder::default()
                .module(&read(core)?)
                .with_context(|| {
                    format!("{} is not a core module with WIT metadata", core.display())
                })?
                .adapter(
                    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                    WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
                )?
                .validate(true)
                .encode()
                .with_context(|| format!("cannot turn {} into a component", core.display()))?;
            write(out, &component)
        }
        "strip" => {
            let [input, out] = args.paths()?;
            let stripped = strip(&read(input)?)
                .with_context(|| format!("cannot strip {}", input.display()))?;
            write(out, &stripped)
        }
        other => bail!("unknown subcommand `{other}`\n{USAGE}"),
    }
}

fn load_world(args: &Args) -> Result<(Resolve, WorldId)> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_path(&args.wit)
        .with_context(|| format!("cannot load the WIT package in {}", args.wit.display()))?;
    let world = resolve.select_world(&[package], Some(&args.world))?;
    Ok((resolve, world))
}

fn bindgen(args: &Args, mut generator: Box<dyn WorldGenerator>, out: &Path) -> Result<()> {
    let (mut resolve, world) = load_world(args)?;
    let mut files = Files::default();
    generator.generate(&mut resolve, world, &mut files)?;
    for (name, contents) in files.iter() {
        let path = out.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        write(&path, contents)?;
    }
    Ok(())
}

/// Copies every section of a core module except custom sections other than `component-type*`.
fn strip(module: &[u8]) -> Result<Vec<u8>> {
    use wasm_encoder::{RawSection, Section};
    use wasmparser::{Parser, Payload};

    let mut out = Vec::with_capacity(module.len());
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload?;
        match &payload {
            Payload::Version { encoding, .. } => {
                if *encoding != wasmparser::Encoding::Module {
                    bail!("not a core module (components are not stripped)");
                }
                out.extend_from_slice(&wasm_encoder::Module::HEADER);
                continue;
            }
            Payload::CustomSection(custom) if !custom.name().starts_with("component-type") => {
                continue;
            }
            _ => {}
        }
        if let Some((id, range)) = payload.as_section() {
            let data = &module[range.start as usize..range.end as usize];
            RawSection { id, data }.append_to(&mut out);
        }
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
