use clap::Parser;
use idm_credentials::app::{self, AppState, Limits, SecretKey};
use idm_credentials::auth::Claims;
use idm_credentials::auth::jwt::expiry_in;
use idm_credentials::config::{
    Cli, Command, ExportArgs, FixtureFormat, LogFormat, Settings, TokenArgs,
};
use idm_credentials::fixtures::{self, Syntax};
use idm_credentials::log_buffer::LogBuffer;
use idm_credentials::server;
use idm_credentials::store::{PoolSettings, Store};
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tracing_subscriber::EnvFilter;

type Failure = Box<dyn std::error::Error>;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let logs = init_tracing(cli.settings.log_format);
    let result = match cli.command.clone().unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.settings).await,
        Command::Migrate => migrate(&cli.settings).await,
        Command::Token(args) => token(&cli.settings, &args).await,
        Command::Import(args) => import(&cli.settings, &args.file).await,
        Command::Export(args) => export(&cli.settings, &args).await,
        Command::Healthcheck => healthcheck(cli.settings.listen),
    };
    logs.flush();
    if let Err(error) = result {
        eprintln!("idm-credentials: {error}");
        std::process::exit(1);
    }
}

/// Logs to stderr through a [`LogBuffer`]; the caller flushes it before exiting.
fn init_tracing(format: LogFormat) -> LogBuffer {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = LogBuffer::stderr();
    // What was logged before a panic goes out before the panic message.
    let default_hook = std::panic::take_hook();
    let on_panic = logs.clone();
    std::panic::set_hook(Box::new(move |info| {
        on_panic.flush();
        default_hook(info);
    }));
    // No colour codes when stderr is a file or a container log.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(logs.clone());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    logs
}

async fn open(settings: &Settings) -> Result<Store, Failure> {
    let pool = PoolSettings {
        max_connections: settings.db_max_connections,
        acquire_timeout: settings.db_acquire_timeout,
        max_write_batch: usize::from(settings.db_write_batch),
    };
    Ok(Store::connect(settings.database_url(), pool).await?)
}

async fn serve(settings: &Settings) -> Result<(), Failure> {
    tracing::info!(settings = %settings.summary(), "starting idm-credentials {}", env!("CARGO_PKG_VERSION"));
    let store = open(settings).await?;
    if !settings.skip_migrations {
        store.migrate().await?;
    }
    let state = AppState::initialize(store.clone(), settings).await?;
    if let Some(file) = &settings.import_file {
        import_into(&store, &state.secret_key, file).await?;
    }
    state.metrics.spawn_upkeep();
    let router = app::build_router(state, Limits::from_settings(settings));
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    tracing::info!(address = %listener.local_addr()?, backend = store.backend_name(), "listening");
    let connections = server::Connections::from_settings(settings);
    server::serve(listener, router, connections, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(settings: &Settings) -> Result<(), Failure> {
    let store = open(settings).await?;
    store.migrate().await?;
    println!(
        "migrations applied to the {} database",
        store.backend_name()
    );
    Ok(())
}

/// Who imported, in the credentials' history.
const IMPORT_ACTOR: &str = "fixture-import";

async fn import_into(
    store: &Store,
    key: &SecretKey,
    file: &std::path::Path,
) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the fixture {}: {e}", file.display()))?;
    let fixture = fixtures::parse(&text, Syntax::for_path(file))?;
    let done = fixtures::import(store, key, &fixture, IMPORT_ACTOR).await?;
    tracing::info!(file = %file.display(), created = done.created, unchanged = done.unchanged, "fixture imported");
    Ok(())
}

async fn import(settings: &Settings, file: &std::path::Path) -> Result<(), Failure> {
    let store = open(settings).await?;
    store.migrate().await?;
    let result = match app::load_secret_key(&store, settings).await {
        Ok(key) => import_into(&store, &key, file).await,
        Err(error) => Err(error.into()),
    };
    store.close().await;
    result
}

async fn export(settings: &Settings, args: &ExportArgs) -> Result<(), Failure> {
    let syntax = match (args.format, &args.output) {
        (Some(FixtureFormat::Json), _) => Syntax::Json,
        (Some(FixtureFormat::Yaml), _) => Syntax::Yaml,
        (None, Some(path)) => Syntax::for_path(path),
        (None, None) => Syntax::Json,
    };
    let store = open(settings).await?;
    store.migrate().await?;
    let fixture = fixtures::export(&store).await;
    store.close().await;
    let text = fixtures::render(&fixture?, syntax)?;
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// Prints a token signed with the configured secret, or with the one the server keeps in
/// its database (so it works against a server started with no configuration at all).
async fn token(settings: &Settings, args: &TokenArgs) -> Result<(), Failure> {
    let keys = if settings.jwt_secret.is_some() {
        idm_credentials::auth::Keys::new(
            settings
                .jwt_secret
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        )
    } else {
        let store = open(settings).await?;
        store.migrate().await?;
        let keys = app::load_keys(&store, settings).await?;
        store.close().await;
        keys
    };
    let claims = Claims {
        sub: args.sub.clone(),
        exp: expiry_in(args.ttl),
        roles: args.roles.clone(),
        permissions: args.permissions.clone(),
        client_ext_id: args.client.clone(),
        iss: settings.jwt_issuer.clone(),
        aud: settings.jwt_audience.clone().map(Into::into),
        nbf: None,
    };
    println!("{}", keys.mint(&claims)?);
    Ok(())
}

/// `GET /health/ready` on the local listen address: exit 0 when the server answers 200.
/// Plain HTTP/1.1 over a socket, so a container image needs no curl.
fn healthcheck(listen: SocketAddr) -> Result<(), Failure> {
    use std::io::{Read, Write};
    let timeout = Duration::from_secs(5);
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let address = SocketAddr::new(ip, listen.port());
    let mut stream = std::net::TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /health/ready HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") {
        println!("ready");
        Ok(())
    } else {
        Err(format!("not ready: {status}").into())
    }
}

/// Resolves on SIGTERM (container and service managers) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, draining in-flight requests");
}
