use clap::Parser;
use idm_credentials::app::{self, AppState, Limits, SecretKey};
use idm_credentials::auth::jwt::{DEFAULT_X_TOKEN_TTL, expiry_in};
use idm_credentials::auth::{Claims, Keys, Permission, Role};
use idm_credentials::config::{
    Cli, Command, Database, ExportCommand, FixtureFormat, ImportCommand, LogFormat, Pool, Settings,
    StoreCommand, TokenArgs, TokenCommand,
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
    let log_format = match &cli.command {
        None => cli.settings.logging.log_format,
        Some(Command::Serve(settings)) => settings.logging.log_format,
        Some(Command::Migrate(store)) => store.logging.log_format,
        Some(Command::Import(import)) => import.store.logging.log_format,
        Some(Command::Export(export)) => export.store.logging.log_format,
        Some(Command::Token(_) | Command::Healthcheck(_)) => LogFormat::Text,
    };
    let logs = init_tracing(log_format);
    let result = match &cli.command {
        None => serve(&cli.settings).await,
        Some(Command::Serve(settings)) => serve(settings).await,
        Some(Command::Migrate(store)) => migrate(store).await,
        Some(Command::Token(command)) => token(command).await,
        Some(Command::Import(command)) => import(command).await,
        Some(Command::Export(command)) => export(command).await,
        Some(Command::Healthcheck(listen)) => healthcheck(listen.address),
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

async fn open(database: &Database, pool: &Pool) -> Result<Store, Failure> {
    if let Some(warning) = pool.deprecation() {
        tracing::warn!("{warning}");
    }
    let pool = PoolSettings {
        max_connections: pool.db_max_connections,
        acquire_timeout: pool.db_acquire_timeout,
        max_batch: usize::from(pool.batch()),
    };
    Ok(Store::connect(database.url(), pool).await?)
}

async fn serve(settings: &Settings) -> Result<(), Failure> {
    tracing::info!(settings = %settings.summary(), "starting idm-credentials {}", env!("CARGO_PKG_VERSION"));
    let store = open(&settings.database, &settings.pool).await?;
    if !settings.skip_migrations {
        store.migrate().await?;
    }
    let state = AppState::initialize(store.clone(), settings).await?;
    if let Some(file) = &settings.import_file {
        import_into(&store, &state.secret_key, file).await?;
    }
    state.metrics.spawn_upkeep();
    let router = app::build_router(state, Limits::from_settings(settings));
    let listener = tokio::net::TcpListener::bind(settings.listen.address).await?;
    tracing::info!(address = %listener.local_addr()?, backend = store.backend_name(), "listening");
    let connections = server::Connections::from_settings(settings);
    server::serve(listener, router, connections, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(command: &StoreCommand) -> Result<(), Failure> {
    let store = open(&command.database, &command.pool).await?;
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

async fn import(command: &ImportCommand) -> Result<(), Failure> {
    let store = open(&command.store.database, &command.store.pool).await?;
    store.migrate().await?;
    let result = match app::load_secret_key(&store, &command.encryption).await {
        Ok(key) => import_into(&store, &key, &command.file).await,
        Err(error) => Err(error.into()),
    };
    store.close().await;
    result
}

async fn export(args: &ExportCommand) -> Result<(), Failure> {
    let syntax = match (args.format, &args.output) {
        (Some(FixtureFormat::Json), _) => Syntax::Json,
        (Some(FixtureFormat::Yaml), _) => Syntax::Yaml,
        (None, Some(path)) => Syntax::for_path(path),
        (None, None) => Syntax::Json,
    };
    let store = open(&args.store.database, &args.store.pool).await?;
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
/// its database (so it works against a server started with no configuration at all). It
/// never creates a database or a secret: a token signed with a secret no server uses
/// would only earn 401s that cannot say why.
async fn token(command: &TokenCommand) -> Result<(), Failure> {
    let args = &command.token;
    let x_token_client = if args.x_token {
        Some(
            args.client
                .as_deref()
                .ok_or("--x-token needs --client: an X-Token is bound to the user's client")?,
        )
    } else {
        None
    };
    let claims = token_claims(command)?;
    let secret = match &command.signing.jwt_secret {
        Some(secret) => secret.clone(),
        None => stored_jwt_secret(&command.database).await?,
    };
    let keys = Keys::new(secret.as_bytes())
        .with_issuer(command.signing.jwt_issuer.clone())
        .with_audience(command.signing.jwt_audience.clone());
    let token = match x_token_client {
        Some(client) => {
            keys.mint_x_token_for(client, &args.sub, args.ttl.unwrap_or(DEFAULT_X_TOKEN_TTL))?
        }
        None => keys.mint(&claims)?,
    };
    println!("{token}");
    Ok(())
}

/// The claims `token` signs, refusing what the server would silently ignore.
fn token_claims(command: &TokenCommand) -> Result<Claims, Failure> {
    let args: &TokenArgs = &command.token;
    let mut roles = Vec::new();
    for name in &args.roles {
        let role = Role::parse(name).ok_or_else(|| {
            let known: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
            format!(
                "unknown role {name:?}; the roles are {} (case matters)",
                known.join(", ")
            )
        })?;
        roles.push(role);
    }
    for name in &args.permissions {
        if Permission::parse(name).is_none() {
            let known: Vec<_> = Permission::ALL.iter().map(|p| p.name()).collect();
            return Err(format!(
                "unknown permission {name:?}; the permissions are {}",
                known.join(", ")
            )
            .into());
        }
    }
    let grants_something = !roles.is_empty() || !args.permissions.is_empty();
    if !grants_something && !args.x_token {
        return Err(
            "a token with no --role and no --permission grants nothing; for an X-Token \
             (self-admin), ask POST /nevisidm/api/principal/v1/token, or pass --x-token \
             --client"
                .into(),
        );
    }
    if grants_something && !roles.contains(&Role::Root) && args.client.is_none() {
        return Err(
            "--client is required for every role and permission but Root: a caller \
                    other than Root acts only in its own client"
                .into(),
        );
    }
    Ok(Claims {
        sub: args.sub.clone(),
        exp: expiry_in(args.ttl.unwrap_or(DEFAULT_BEARER_TTL)),
        roles: args.roles.clone(),
        permissions: args.permissions.clone(),
        client_ext_id: args.client.clone(),
        iss: command.signing.jwt_issuer.clone(),
        aud: command.signing.jwt_audience.clone().map(Into::into),
        nbf: None,
        token_use: None,
    })
}

/// The `token` command's Bearer lifetime unless `--ttl` says otherwise.
const DEFAULT_BEARER_TTL: Duration = Duration::from_secs(3600);

/// The JWT secret the server generated into its database.
async fn stored_jwt_secret(database: &Database) -> Result<String, Failure> {
    let url = database.url();
    let shown = idm_credentials::config::redact_url(url);
    let hint = "point --database-url (or DATABASE_URL) at the server's database, or pass the \
                server's --jwt-secret (IDM_JWT_SECRET)";
    let store = Store::connect_existing(url, PoolSettings::default())
        .await
        .map_err(|e| format!("cannot open the database {shown} ({e}): {hint}"))?;
    let secret = store.setting(app::JWT_SECRET_SETTING).await;
    store.close().await;
    match secret {
        Ok(Some(secret)) => Ok(secret),
        Ok(None) | Err(_) => Err(format!(
            "the database {shown} holds no JWT secret: start the server on it once (it \
             generates one), or {hint}"
        )
        .into()),
    }
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
