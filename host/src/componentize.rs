//! `wasmgate componentize`: the few `wit-bindgen` and `wasm-tools` steps that
//! C and Go handlers need to become components, built into wasmgate from the
//! library crates so that a handler author needs only `wasmgate` (no
//! `cargo install wasm-tools wit-bindgen-cli`, about eight minutes).
//!
//! - [`bindgen`] is `wit-bindgen c` / `wit-bindgen go` with default options.
//! - [`embed`] is `wasm-tools component embed`: it appends the world's
//!   `component-type` custom section to a core module whose bindings did not
//!   link one in (Go).
//! - [`new_component`] is `wasm-tools component new --adapt
//!   wasi_snapshot_preview1=<reactor adapter>`, with the reactor adapter of
//!   the wasmtime release this host runs, and validates the result.
//! - [`strip`] drops the custom sections a component does not need (debug
//!   info, names, producers) and keeps `component-type*`, which `new` reads.
//!
//! The recipes that use them are `guest-sdk/c/build-component.sh` and
//! `guest-sdk/go/build-component.sh`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wit_bindgen_core::{Files, WorldGenerator};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::{Resolve, WorldId};

/// A guest language with generated bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bindings {
    /// `wit-bindgen c`.
    C,
    /// `wit-bindgen go`.
    Go,
}

/// Writes the bindings of `world` in the WIT package at `wit` into `out`.
pub fn bindgen(lang: Bindings, wit: &Path, world: &str, out: &Path) -> Result<()> {
    let mut generator: Box<dyn WorldGenerator> = match lang {
        Bindings::C => wit_bindgen_c::Opts::default().build(),
        Bindings::Go => wit_bindgen_go::Opts::default().build(),
    };
    let (mut resolve, world) = load_world(wit, world)?;
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

/// Copies the core module `core` to `out` with `world`'s type information
/// embedded (UTF-8 strings).
pub fn embed(wit: &Path, world: &str, core: &Path, out: &Path) -> Result<()> {
    let (resolve, world) = load_world(wit, world)?;
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

/// Turns the core module `core` (with embedded WIT metadata, WASI preview 1
/// imports) into a validated component at `out`.
pub fn new_component(core: &Path, out: &Path) -> Result<()> {
    let component = ComponentEncoder::default()
        .module(&read(core)?)
        .with_context(|| format!("{} is not a core module with WIT metadata", core.display()))?
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )?
        .validate(true)
        .encode()
        .with_context(|| format!("cannot turn {} into a component", core.display()))?;
    write(out, &component)
}

/// Copies the core module `input` to `out` without its custom sections,
/// except `component-type*`.
pub fn strip(input: &Path, out: &Path) -> Result<()> {
    let stripped =
        strip_bytes(&read(input)?).with_context(|| format!("cannot strip {}", input.display()))?;
    write(out, &stripped)
}

fn strip_bytes(module: &[u8]) -> Result<Vec<u8>> {
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
            let (start, end) = (usize::try_from(range.start)?, usize::try_from(range.end)?);
            RawSection {
                id,
                data: &module[start..end],
            }
            .append_to(&mut out);
        }
    }
    Ok(out)
}

fn load_world(wit: &Path, world: &str) -> Result<(Resolve, WorldId)> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_path(wit)
        .with_context(|| format!("cannot load the WIT package in {}", wit.display()))?;
    let world = resolve
        .select_world(&[package], Some(world))
        .with_context(|| format!("{}: no world `{world}`", wit.display()))?;
    Ok((resolve, world))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_keeps_component_type_and_drops_other_custom_sections() {
        use wasm_encoder::{CustomSection, Module};
        let mut module = Module::new();
        module.section(&CustomSection {
            name: "name".into(),
            data: b"x".as_slice().into(),
        });
        module.section(&CustomSection {
            name: "component-type:authorizer".into(),
            data: b"y".as_slice().into(),
        });
        let stripped = strip_bytes(&module.finish()).unwrap();
        let names: Vec<String> = wasmparser::Parser::new(0)
            .parse_all(&stripped)
            .filter_map(|p| match p.unwrap() {
                wasmparser::Payload::CustomSection(c) => Some(c.name().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["component-type:authorizer"]);
    }

    #[test]
    fn a_component_is_not_stripped() {
        let component = wasm_encoder::Component::new().finish();
        let err = strip_bytes(&component).unwrap_err();
        assert!(err.to_string().contains("not a core module"), "{err}");
    }
}
