//! `--help` and the README's configuration table describe the same settings: every flag
//! with its environment variable and default, nothing missing on either side.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use clap::CommandFactory;
use idm_credentials::config::Cli;

/// Environment variables the table documents that are not clap settings.
const NOT_FLAGS: &[&str] = &["RUST_LOG"];

#[derive(Debug, PartialEq)]
struct Setting {
    env: String,
    default: Option<String>,
}

/// The settings clap knows: long flag -> env var and default.
fn clap_settings() -> BTreeMap<String, Setting> {
    Cli::command()
        .get_arguments()
        .filter_map(|arg| {
            let long = arg.get_long()?;
            let env = arg.get_env()?.to_str().unwrap().to_owned();
            let default = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .next()
                .filter(|v| v != "false");
            Some((format!("--{long}"), Setting { env, default }))
        })
        .collect()
}

/// The README rows under "## Configuration": flag -> env var and default cell.
fn readme_rows() -> Vec<(String, String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## Configuration")
        .nth(1)
        .expect("README has a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|line| line.starts_with("| `") || line.starts_with("| —"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            let unquote = |cell: &str| cell.trim_matches('`').to_owned();
            (unquote(cells[0]), unquote(cells[1]), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn the_readme_table_lists_exactly_the_settings_of_the_cli() {
    let settings = clap_settings();
    assert!(settings.len() >= 10, "{settings:?}");
    let rows = readme_rows();
    let mut documented = BTreeMap::new();
    for (flag, env, default) in &rows {
        if flag == "—" {
            assert!(
                NOT_FLAGS.contains(&env.as_str()),
                "row without a flag: {env}"
            );
            continue;
        }
        let setting = settings
            .get(flag)
            .unwrap_or_else(|| panic!("README documents {flag}, which the CLI does not have"));
        assert_eq!(&setting.env, env, "environment variable of {flag}");
        if let Some(value) = &setting.default {
            assert!(
                default.contains(&format!("`{value}`")),
                "README default of {flag} is {default:?}, the CLI's is {value:?}"
            );
        }
        assert!(
            documented.insert(flag.clone(), ()).is_none(),
            "{flag} twice"
        );
    }
    for flag in settings.keys() {
        assert!(
            documented.contains_key(flag),
            "{flag} is missing from the README table"
        );
    }
}

#[test]
fn help_shows_every_flag_with_its_env_var_and_default() {
    let help = Cli::command().render_long_help().to_string();
    for (flag, setting) in clap_settings() {
        assert!(help.contains(&flag), "{flag} in --help");
        assert!(
            help.contains(&format!("[env: {}", setting.env)),
            "{} in --help",
            setting.env
        );
        if let Some(value) = setting.default {
            assert!(
                help.contains(&format!("[default: {value}]")),
                "default {value} of {flag} in --help"
            );
        }
    }
}
