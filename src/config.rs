//! Configuration: every setting is a flag and an environment variable; `--help` lists
//! them all. Secrets are never printed (see [`Settings::summary`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use http::HeaderValue;

/// The embedded default store: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://idm.db";

#[derive(Parser, Debug)]
#[command(
    name = "idm-credentials",
    version,
    about = "A nevisIDM-compatible REST server for user credentials",
    // `idm-credentials --listen ...` serves; a subcommand takes its own flags after its name.
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// `serve`'s settings, for when no subcommand is given.
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Each subcommand takes only the flags it uses (its own first); every flag can also come
/// from its environment variable.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Run the server (the default).
    Serve(Box<Settings>),
    /// Apply the database migrations and exit.
    Migrate(StoreCommand),
    /// Print a Bearer token (or an X-Token) signed with the server's secret.
    Token(TokenCommand),
    /// Load a fixture (JSON or YAML) in one transaction; importing it again changes nothing.
    Import(ImportCommand),
    /// Write everything stored as a fixture (secrets as stored: hashes and ciphertext).
    Export(ExportCommand),
    /// Ask a running server's /health/ready (on the --listen port) and exit 0 when it is
    /// ready, 1 otherwise: a container HEALTHCHECK that needs no curl.
    Healthcheck(Listen),
}

/// The address the server listens on.
#[derive(Args, Debug, Clone)]
pub struct Listen {
    /// Address to listen on.
    #[arg(
        long = "listen",
        env = "IDM_LISTEN",
        default_value = "127.0.0.1:8080",
        hide_env_values = true
    )]
    pub address: SocketAddr,
}

/// Which database.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Database")]
pub struct Database {
    /// Database URL: postgres://user:pass@host/db, or sqlite://FILE (default sqlite://idm.db).
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub url: Option<String>,
}

impl Database {
    pub fn url(&self) -> &str {
        self.url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)
    }
}

/// How the server uses its database connections.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Database")]
pub struct Pool {
    /// Most database connections in the pool.
    #[arg(
        long,
        env = "IDM_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        hide_env_values = true
    )]
    pub db_max_connections: u32,
    /// PostgreSQL: concurrent credential reads, and PATCH writes, per statement at most (1 to 1000, default 64); 1 runs each alone.
    #[arg(long, env = "IDM_DB_BATCH", value_parser = clap::value_parser!(u16).range(1..=1000), hide_env_values = true)]
    pub db_batch: Option<u16>,
    /// Deprecated: the old name of --db-batch (it bounds reads too), honoured with a warning when --db-batch is unset.
    #[arg(long, env = "IDM_DB_WRITE_BATCH", value_parser = clap::value_parser!(u16).range(1..=1000), hide_env_values = true)]
    pub db_write_batch: Option<u16>,
    /// How long a request waits for a database connection before 503.
    #[arg(long, env = "IDM_DB_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration, hide_env_values = true)]
    pub db_acquire_timeout: Duration,
}

impl Pool {
    /// Statements share at most this many reads or writes unless configured.
    pub const DEFAULT_BATCH: u16 = 64;

    /// `--db-batch`, else the deprecated `--db-write-batch`, else the default.
    pub fn batch(&self) -> u16 {
        self.db_batch
            .or(self.db_write_batch)
            .unwrap_or(Self::DEFAULT_BATCH)
    }

    /// What to tell the operator who still uses the old name.
    pub fn deprecation(&self) -> Option<&'static str> {
        match (self.db_batch, self.db_write_batch) {
            (_, None) => None,
            (None, Some(_)) => Some(
                "IDM_DB_WRITE_BATCH (--db-write-batch) is deprecated: use IDM_DB_BATCH (--db-batch), which it now means",
            ),
            (Some(_), Some(_)) => Some(
                "IDM_DB_WRITE_BATCH (--db-write-batch) is deprecated and ignored: IDM_DB_BATCH (--db-batch) is set",
            ),
        }
    }
}

/// The HS256 secret and the claims every token must carry.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Tokens")]
pub struct Signing {
    /// HS256 secret for Bearer tokens and X-Tokens; generated and kept in the database when unset.
    #[arg(long, env = "IDM_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Required `iss` of Bearer tokens.
    #[arg(long, env = "IDM_JWT_ISSUER", hide_env_values = true)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` of Bearer tokens.
    #[arg(long, env = "IDM_JWT_AUDIENCE", hide_env_values = true)]
    pub jwt_audience: Option<String>,
}

/// The key for secrets at rest.
#[derive(Args, Debug, Clone)]
pub struct Encryption {
    /// Key that encrypts OATH secrets at rest: 32 bytes, base64 (`openssl rand -base64 32`); generated and kept in the database when unset.
    #[arg(long, env = "IDM_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct Logging {
    /// Log format: text or json. Verbosity comes from RUST_LOG (default info).
    #[arg(long, env = "IDM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, hide_env_values = true)]
    pub log_format: LogFormat,
}

/// `migrate`: the database alone.
#[derive(Args, Debug, Clone)]
pub struct StoreCommand {
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub pool: Pool,
    #[command(flatten)]
    pub logging: Logging,
}

#[derive(Args, Debug, Clone)]
pub struct ImportCommand {
    /// The fixture file; `.yaml`/`.yml` is read as YAML, anything else as JSON.
    pub file: PathBuf,
    #[command(flatten)]
    pub encryption: Encryption,
    #[command(flatten)]
    pub store: StoreCommand,
}

#[derive(Args, Debug, Clone)]
pub struct ExportCommand {
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// json or yaml; by default YAML for a `.yaml`/`.yml` output file, else JSON.
    #[arg(long, value_enum)]
    pub format: Option<FixtureFormat>,
    #[command(flatten)]
    pub store: StoreCommand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FixtureFormat {
    Json,
    Yaml,
}

#[derive(Args, Debug, Clone)]
pub struct TokenCommand {
    #[command(flatten)]
    pub token: TokenArgs,
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub signing: Signing,
}

#[derive(Args, Debug, Clone)]
pub struct TokenArgs {
    /// The caller's name (`sub`), recorded in history; for self-admin, the user's extId.
    #[arg(long)]
    pub sub: String,
    /// A nevisIDM role (Root, ClientRoot, UserAdmin, Helpdesk, SelfAdmin); repeatable.
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// An `AccessControl.*` permission; repeatable.
    #[arg(long = "permission")]
    pub permissions: Vec<String>,
    /// The caller's client (`clientExtId`); required for every role and permission but Root,
    /// and for --x-token.
    #[arg(long)]
    pub client: Option<String>,
    /// Print an X-Token (the proof of a re-entered password that POST
    /// /nevisidm/api/principal/v1/token issues) for user --sub of --client, instead of a
    /// Bearer token; for scripts and tests only.
    #[arg(long, conflicts_with_all = ["roles", "permissions"])]
    pub x_token: bool,
    /// How long the token is valid (e.g. 30m, 1h, 7d); default 1h, 5m for --x-token.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub ttl: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `serve`: everything.
#[derive(Args, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub listen: Listen,
    /// How long a request may take before 503.
    #[arg(long, env = "IDM_REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration, hide_env_values = true)]
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers, counted from the connection's
    /// start or the end of its previous response; then the connection is closed.
    #[arg(long, env = "IDM_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration, hide_env_values = true)]
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may wait idle for its next request (at most the
    /// header-read timeout) before it is closed.
    #[arg(long, env = "IDM_KEEP_ALIVE_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration, hide_env_values = true)]
    pub keep_alive_timeout: Duration,
    /// Largest request body in bytes (413 beyond).
    #[arg(
        long,
        env = "IDM_BODY_LIMIT",
        default_value_t = 65536,
        hide_env_values = true
    )]
    pub body_limit: usize,
    /// Do not apply database migrations when serving (run `migrate` from a deploy job).
    #[arg(long, env = "IDM_SKIP_MIGRATIONS", hide_env_values = true)]
    pub skip_migrations: bool,
    /// Serve the API reference (Swagger UI) at /swagger-ui; `false` to turn it off.
    #[arg(long, env = "IDM_SWAGGER_UI", default_value_t = true, action = clap::ArgAction::Set, hide_env_values = true)]
    pub swagger_ui: bool,
    /// Import this fixture before listening (the server does not start if it fails).
    #[arg(long = "import", env = "IDM_IMPORT_FILE", hide_env_values = true)]
    pub import_file: Option<PathBuf>,
    /// Browser origins allowed to call the API (CORS), comma-separated, e.g. https://admin.example.com; CORS is off when unset.
    #[arg(long, env = "IDM_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin, hide_env_values = true)]
    pub cors_origins: Vec<HeaderValue>,
    #[command(flatten)]
    pub logging: Logging,
    #[command(flatten)]
    pub encryption: Encryption,
    #[command(flatten)]
    pub database: Database,
    #[command(flatten)]
    pub pool: Pool,
    #[command(flatten)]
    pub signing: Signing,
    /// PEM public key (RSA or EC) that also verifies RS256/ES256 Bearer tokens.
    #[arg(long, env = "IDM_JWT_PUBLIC_KEY_FILE", hide_env_values = true)]
    pub jwt_public_key_file: Option<PathBuf>,
    /// How long an X-Token from POST /nevisidm/api/principal/v1/token is valid.
    #[arg(long, env = "IDM_X_TOKEN_TTL", default_value = "5m", value_parser = humantime::parse_duration, hide_env_values = true)]
    pub x_token_ttl: Duration,
}

/// An origin is `scheme://host[:port]`: anything else would never match a browser's
/// `Origin` header, so it is refused at startup rather than silently ignored.
fn parse_origin(text: &str) -> Result<HeaderValue, String> {
    let text = text.trim();
    let host = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let valid = host.is_some_and(|host| {
        !host.is_empty() && !host.contains(|c: char| c == '/' || c.is_whitespace())
    });
    if !valid {
        return Err(format!(
            "{text:?} is not an origin like https://admin.example.com"
        ));
    }
    HeaderValue::from_str(text).map_err(|e| e.to_string())
}

impl Settings {
    /// One line per setting for the startup log, secrets redacted.
    pub fn summary(&self) -> String {
        let set = |s: &Option<String>| {
            if s.is_some() {
                "[set]"
            } else {
                "[generated, kept in the database]"
            }
        };
        format!(
            "listen={} database={} jwt_secret={} jwt_public_key_file={:?} jwt_issuer={:?} jwt_audience={:?} \
             x_token_ttl={:?} secret_key={} db_max_connections={} db_batch={} db_acquire_timeout={:?} request_timeout={:?} header_read_timeout={:?} keep_alive_timeout={:?} body_limit={} skip_migrations={} swagger_ui={} import_file={:?} log_format={:?} cors_origins={:?}",
            self.listen.address,
            redact_url(self.database.url()),
            set(&self.signing.jwt_secret),
            self.jwt_public_key_file,
            self.signing.jwt_issuer,
            self.signing.jwt_audience,
            self.x_token_ttl,
            set(&self.encryption.secret_key),
            self.pool.db_max_connections,
            self.pool.batch(),
            self.pool.db_acquire_timeout,
            self.request_timeout,
            self.header_read_timeout,
            self.keep_alive_timeout,
            self.body_limit,
            self.skip_migrations,
            self.swagger_ui,
            self.import_file,
            self.logging.log_format,
            self.cors_origins,
        )
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary())
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:[redacted]@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:[redacted]@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/idm"),
            "postgres://app:[redacted]@db:5432/idm"
        );
        assert_eq!(redact_url("postgres://app@db/idm"), "postgres://app@db/idm");
        assert_eq!(redact_url("sqlite://idm.db"), "sqlite://idm.db");
    }

    #[test]
    fn the_summary_never_shows_secrets() {
        let cli = Cli::parse_from([
            "idm-credentials",
            "--jwt-secret",
            "top-secret-jwt",
            "--secret-key",
            "top-secret-key",
            "--database-url",
            "postgres://u:top-secret-db@h/d",
        ]);
        let summary = format!("{:?}", cli.settings);
        assert!(!summary.contains("top-secret"), "{summary}");
    }

    #[test]
    fn defaults_suit_a_newcomer() {
        let cli = Cli::parse_from(["idm-credentials"]);
        assert!(cli.command.is_none());
        assert_eq!(cli.settings.body_limit, 65536);
        assert_eq!(cli.settings.header_read_timeout, Duration::from_secs(10));
        assert_eq!(cli.settings.keep_alive_timeout, Duration::from_secs(5));
        assert_eq!(cli.settings.x_token_ttl, Duration::from_secs(300));
        assert!(cli.settings.swagger_ui);
        let off = Cli::parse_from(["idm-credentials", "--swagger-ui", "false"]);
        assert!(!off.settings.swagger_ui);
        assert!(
            cli.settings.cors_origins.is_empty(),
            "CORS is off by default"
        );
    }

    #[test]
    fn the_batch_bound_keeps_its_old_name_with_a_deprecation() {
        let batch = |args: &[&str]| {
            let cli = Cli::parse_from(["idm-credentials"].iter().chain(args));
            (cli.settings.pool.batch(), cli.settings.pool.deprecation())
        };
        assert_eq!(batch(&[]), (64, None));
        assert_eq!(batch(&["--db-batch", "8"]), (8, None));
        let (old, warning) = batch(&["--db-write-batch", "4"]);
        assert_eq!(old, 4);
        assert!(warning.unwrap().contains("use IDM_DB_BATCH"));
        let (both, warning) = batch(&["--db-batch", "8", "--db-write-batch", "4"]);
        assert_eq!(both, 8);
        assert!(warning.unwrap().contains("ignored"));
        for refused in ["0", "1001"] {
            assert!(Cli::try_parse_from(["idm-credentials", "--db-write-batch", refused]).is_err());
            assert!(Cli::try_parse_from(["idm-credentials", "--db-batch", refused]).is_err());
        }
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list_of_origins() {
        let cli = Cli::parse_from([
            "idm-credentials",
            "--cors-origins",
            "https://admin.example.com,http://localhost:3000",
        ]);
        assert_eq!(
            cli.settings.cors_origins,
            ["https://admin.example.com", "http://localhost:3000"]
        );
        for bad in ["admin.example.com", "https://x.com/path", "*"] {
            assert!(
                Cli::try_parse_from(["idm-credentials", "--cors-origins", bad]).is_err(),
                "{bad}"
            );
        }
    }
}
