//! The container files, checked without a container engine: the compose file parses and
//! wires PostgreSQL and the server together with healthchecks; the Dockerfile is
//! multi-stage, runs as a non-root user, has a HEALTHCHECK, and builds with the same
//! release command as CI and the benchmark. The server imports the example fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use serde_yaml_ng::Value;

/// The one release build command (CI, the benchmark and the image must agree).
const RELEASE_BUILD: &str = "cargo build --release --locked";

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compose() -> Value {
    serde_yaml_ng::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML")
}

fn env<'a>(service: &'a Value, key: &str) -> &'a str {
    service["environment"][key]
        .as_str()
        .unwrap_or_else(|| panic!("environment {key} missing"))
}

/// `test: ["CMD", ...]` or `["CMD-SHELL", "..."]` with the timing keys a healthcheck needs.
fn assert_healthcheck(service: &Value) -> Vec<String> {
    let check = &service["healthcheck"];
    for key in ["interval", "timeout", "retries"] {
        assert!(
            !check[key].is_null(),
            "healthcheck.{key} missing: {check:?}"
        );
    }
    let test: Vec<String> = check["test"]
        .as_sequence()
        .expect("healthcheck.test is a list")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(matches!(test[0].as_str(), "CMD" | "CMD-SHELL"), "{test:?}");
    test
}

#[test]
fn compose_runs_postgres_16_with_a_volume_and_a_healthcheck() {
    let compose = compose();
    let postgres = &compose["services"]["postgres"];
    assert_eq!(postgres["image"].as_str(), Some("postgres:16"));
    let test = assert_healthcheck(postgres);
    assert!(test.join(" ").contains("pg_isready"), "{test:?}");
    let volume = postgres["volumes"][0].as_str().unwrap();
    let (name, target) = volume.split_once(':').unwrap();
    assert_eq!(target, "/var/lib/postgresql/data");
    assert!(
        compose["volumes"].get(name).is_some(),
        "named volume {name} is declared"
    );
}

#[test]
fn compose_runs_the_server_against_that_postgres() {
    let compose = compose();
    let postgres = &compose["services"]["postgres"];
    let idm = &compose["services"]["idm"];
    assert_eq!(idm["build"].as_str(), Some("."));
    assert_eq!(
        idm["depends_on"]["postgres"]["condition"].as_str(),
        Some("service_healthy")
    );
    assert_eq!(idm["ports"][0].as_str(), Some("8080:8080"));
    assert_eq!(env(idm, "IDM_LISTEN"), "0.0.0.0:8080");

    // The URL names the postgres service with its user, password and database.
    let user = env(postgres, "POSTGRES_USER");
    let password = env(postgres, "POSTGRES_PASSWORD");
    let database = env(postgres, "POSTGRES_DB");
    assert_eq!(
        env(idm, "DATABASE_URL"),
        format!("postgres://{user}:{password}@postgres:5432/{database}")
    );
    // From the environment, with a development default.
    let secret = env(idm, "IDM_JWT_SECRET");
    assert!(
        secret.starts_with("${IDM_JWT_SECRET:-") && secret.len() > "${IDM_JWT_SECRET:-}".len(),
        "{secret}"
    );

    let test = assert_healthcheck(idm);
    assert_eq!(test, ["CMD", "idm-credentials", "healthcheck"]);
}

/// The server imports the example fixture, mounted read-only, before it serves; the
/// mounted file is a valid fixture.
#[test]
fn compose_imports_the_example_fixture() {
    let compose = compose();
    let idm = &compose["services"]["idm"];
    let mounts: Vec<&str> = idm["volumes"]
        .as_sequence()
        .expect("idm.volumes is a list")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        mounts.contains(&"./examples/fixtures.json:/fixtures.json:ro"),
        "{mounts:?}"
    );
    assert_eq!(env(idm, "IDM_IMPORT_FILE"), "/fixtures.json");
    let fixture = idm_credentials::fixtures::parse(
        &read("examples/fixtures.json"),
        idm_credentials::fixtures::Syntax::Json,
    )
    .expect("the example is a fixture");
    assert!(
        fixture
            .users
            .iter()
            .any(|u| u.credentials.len() == idm_credentials::domain::CredentialType::ALL.len())
    );
}

/// Dockerfile instructions, one per logical line (continuations joined).
fn instructions() -> Vec<(String, String)> {
    let text = read("Dockerfile").replace("\\\n", " ");
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            (keyword.to_ascii_uppercase(), rest.trim().to_owned())
        })
        .collect()
}

/// The arguments of every `keyword` instruction.
fn arguments<'a>(instructions: &'a [(String, String)], keyword: &str) -> Vec<&'a str> {
    instructions
        .iter()
        .filter(|(k, _)| k == keyword)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn dockerfile_is_multi_stage_non_root_with_a_healthcheck() {
    let instructions = instructions();
    let stages = arguments(&instructions, "FROM");
    assert_eq!(stages.len(), 2, "builder and runtime: {stages:?}");
    assert!(stages[0].starts_with("rust:") && stages[0].ends_with(" AS builder"));
    assert!(stages[1].starts_with("debian:bookworm-slim"), "{stages:?}");
    let runtime_start = instructions.iter().rposition(|(k, _)| k == "FROM").unwrap();
    let runtime = &instructions[runtime_start..];
    assert!(
        runtime
            .iter()
            .any(|(k, v)| k == "COPY" && v.starts_with("--from=builder ")),
        "the runtime stage copies the binary only"
    );

    let users = arguments(runtime, "USER");
    assert_eq!(users.len(), 1, "{users:?}");
    assert!(!matches!(users[0], "root" | "0" | "0:0"), "{users:?}");

    let healthcheck = runtime
        .iter()
        .find(|(k, _)| k == "HEALTHCHECK")
        .expect("HEALTHCHECK");
    assert!(
        healthcheck
            .1
            .ends_with(r#"CMD ["idm-credentials", "healthcheck"]"#),
        "{healthcheck:?}"
    );
    assert!(
        !runtime.iter().any(|(_, v)| v.contains("curl")),
        "no curl needed"
    );
}

#[test]
fn dockerfile_builds_with_the_release_command_of_ci_and_bench() {
    let builds: Vec<String> = instructions()
        .into_iter()
        .filter(|(k, v)| k == "RUN" && v.contains("cargo build"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(builds.len(), 1, "{builds:?}");
    let command = builds[0].split("&&").next().unwrap().trim();
    assert_eq!(command, RELEASE_BUILD);

    // Wherever else the project builds a release binary, it is the same command.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [".ci", "bench"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for line in text.lines().filter(|l| l.contains("cargo build --release")) {
                assert!(
                    line.contains(RELEASE_BUILD),
                    "{}: {line:?} differs from {RELEASE_BUILD:?}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn dockerignore_keeps_the_build_context_small() {
    let ignored = read(".dockerignore");
    for entry in ["target/", ".git/", "*.db"] {
        assert!(
            ignored.lines().any(|l| l.trim() == entry),
            "{entry} in .dockerignore"
        );
    }
}
