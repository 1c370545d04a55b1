//! The `wasmgate` command: parses the command line and hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "wasmgate",
    version,
    about = "LangGraph Agent Server with WebAssembly auth handlers and graphs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API for the graphs and auth handler named in a langgraph.json.
    Serve(ServeArgs),
    /// `serve` in development mode: also trusts LangGraph Studio's
    /// `x-auth-scheme: langsmith` header (unless `auth.disable_studio_auth`).
    /// Never expose it to untrusted clients.
    Dev(ServeArgs),
    /// Check a handler or graph module: contract and version, imports, the
    /// actions it covers, sample requests and per-call latency. Exits
    /// non-zero on any problem, so it can gate a CI pipeline.
    Check(CheckArgs),
    /// Create a handler project (the example policy, the SDK and the WIT
    /// contract, vendored) that builds as it stands: `./build.sh`.
    New(NewArgs),
    /// The WIT bindings and component steps of C and Go handler builds
    /// (what their `build.sh` runs; wit-bindgen and wasm-tools, built in).
    #[command(subcommand)]
    Componentize(ComponentizeStep),
}

#[derive(Subcommand)]
enum ComponentizeStep {
    /// `wit-bindgen c`: C bindings for a world, written into OUTDIR.
    BindgenC(BindgenArgs),
    /// `wit-bindgen go`: Go bindings for a world, written into OUTDIR.
    BindgenGo(BindgenArgs),
    /// `wasm-tools component embed`: a core module with the world's type
    /// information embedded.
    Embed {
        #[command(flatten)]
        world: WorldArgs,
        /// The core module.
        core: PathBuf,
        /// Where to write the result.
        out: PathBuf,
    },
    /// `wasm-tools component new` with the WASI preview-1 reactor adapter: a
    /// validated component from a core module with embedded WIT metadata.
    New {
        /// The core module.
        core: PathBuf,
        /// Where to write the component.
        out: PathBuf,
    },
    /// Drop a core module's custom sections, except `component-type*`.
    Strip {
        /// The core module.
        input: PathBuf,
        /// Where to write the result.
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct WorldArgs {
    /// The WIT package directory (a project's `wit/auth`).
    #[arg(long)]
    wit: PathBuf,
    /// The world to build for.
    #[arg(long, default_value = "authorizer")]
    world: String,
}

#[derive(clap::Args)]
struct BindgenArgs {
    #[command(flatten)]
    world: WorldArgs,
    /// Where to write the bindings.
    outdir: PathBuf,
}

#[derive(clap::Args)]
struct NewArgs {
    /// The handler's language.
    #[arg(long, value_parser = wasmgate::scaffold::LANGUAGES.iter().map(|(l, _, _)| *l).collect::<Vec<_>>())]
    lang: String,
    /// The project's name; its folder is created in the current directory.
    name: String,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The .wasm component to check.
    module: PathBuf,
    /// Take the module's settings from this langgraph.json (`wasmgate.auth.settings`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The module's settings as a JSON object, e.g. '{"api_keys": {...}}'.
    #[arg(long, conflicts_with = "config")]
    settings: Option<String>,
    /// A sample request as JSON: {"method", "path", "query", "headers": {..},
    /// "authorize": {"resource", "action", "value"}}. Repeatable.
    #[arg(long = "request")]
    requests: Vec<String>,
    /// A JSON file holding one sample request or a list of them.
    #[arg(long)]
    requests_file: Option<PathBuf>,
    /// Calls per sample for the latency figures.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The LangGraph config file; module paths in it are relative to it.
    #[arg(long, default_value = "./langgraph.json")]
    config: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one (the URL is printed).
    #[arg(long, env = "PORT", default_value_t = 2024)]
    port: u16,
    /// Where the embedded SQLite database lives [default: .wasmgate next to the config file].
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // `check` prints a report; its logs would only repeat it.
    let default_level = if matches!(cli.command, Command::Check(_) | Command::Componentize(_)) {
        "warn"
    } else {
        "info"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WASMGATE_LOG")
                .unwrap_or_else(|_| default_level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(args, false).await,
        Command::Dev(args) => serve(args, true).await,
        Command::Check(args) => check(args).await,
        Command::New(args) => new_project(&args),
        Command::Componentize(step) => componentize(step),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn componentize(step: ComponentizeStep) -> anyhow::Result<()> {
    use wasmgate::componentize::{self as c, Bindings};
    match step {
        ComponentizeStep::BindgenC(a) => {
            c::bindgen(Bindings::C, &a.world.wit, &a.world.world, &a.outdir)
        }
        ComponentizeStep::BindgenGo(a) => {
            c::bindgen(Bindings::Go, &a.world.wit, &a.world.world, &a.outdir)
        }
        ComponentizeStep::Embed { world, core, out } => {
            c::embed(&world.wit, &world.world, &core, &out)
        }
        ComponentizeStep::New { core, out } => c::new_component(&core, &out),
        ComponentizeStep::Strip { input, out } => c::strip(&input, &out),
    }
}

async fn serve(args: ServeArgs, dev: bool) -> anyhow::Result<()> {
    let config = wasmgate::config::load(&args.config)?;
    let data_dir = args.data_dir.unwrap_or_else(|| {
        args.config
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(".wasmgate")
    });
    let app = wasmgate::App::build(&config, &data_dir)
        .await?
        .with_dev_mode(dev);
    if dev {
        tracing::warn!(
            "development mode: `x-auth-scheme: langsmith` authenticates as LangGraph Studio's user unless auth.disable_studio_auth is true; use `wasmgate serve` in production"
        );
    }
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .with_context(|| format!("invalid --host/--port: {}:{}", args.host, args.port))?;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "cannot listen on {addr}: port {} is already in use by another process; choose another with --port N (or PORT=N), or --port 0 for any free port",
            args.port
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot listen on {addr}")),
    };
    let local = listener.local_addr()?;
    tracing::info!(config = %args.config.display(), data_dir = %data_dir.display(), "serving");
    println!("wasmgate listening on http://{local}");
    #[cfg(unix)]
    {
        let trigger = app.reload_trigger();
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("cannot install the SIGHUP handler")?;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                tracing::info!("SIGHUP: rechecking the config and every module");
                trigger.recheck_all().await;
            }
        });
    }
    wasmgate::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn new_project(args: &NewArgs) -> anyhow::Result<()> {
    let dir = wasmgate::scaffold::new_project(&args.lang, &args.name, std::path::Path::new("."))?;
    println!(
        "created {}: build it with `{}/build.sh`, then `wasmgate check {}/auth.wasm --config {}/langgraph.json`",
        dir.display(),
        dir.display(),
        dir.display(),
        dir.display()
    );
    Ok(())
}

async fn check(args: CheckArgs) -> anyhow::Result<()> {
    let settings = match (&args.config, &args.settings) {
        (Some(file), _) => {
            wasmgate::check::settings_from_config(file).map_err(anyhow::Error::msg)?
        }
        (None, Some(text)) => wasmgate::check::parse_settings(text, std::path::Path::new("."))
            .map_err(anyhow::Error::msg)?,
        (None, None) => Default::default(),
    };
    let mut samples = Vec::new();
    for (i, text) in args.requests.iter().enumerate() {
        samples.extend(
            wasmgate::check::parse_samples(text, &format!("--request #{}", i + 1))
                .map_err(anyhow::Error::msg)?,
        );
    }
    if let Some(file) = &args.requests_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        samples.extend(
            wasmgate::check::parse_samples(&text, &file.display().to_string())
                .map_err(anyhow::Error::msg)?,
        );
    }
    let report = wasmgate::check::check(wasmgate::check::CheckOptions {
        module: args.module,
        settings,
        samples,
        iterations: args.iterations,
    })
    .await;
    print!("{}", report.text);
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the module has {} problem(s)",
            report.problems.len()
        ))
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
