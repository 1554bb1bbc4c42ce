//! The README's shell blocks, run as printed against the binary the tests built, so a
//! newcomer's first steps cannot drift from what the server does.
//!
//! Every ```sh block runs, in order, in one bash session in an empty directory (`set -euo
//! pipefail`: a failing command fails the test), except those right after a
//! `<!-- readme-test: skip (why) -->` line. The only change to the text: the ports 8080 and
//! 8081 become free ones. A ```json or ```text block right after a run block is what that
//! block must print: in a text block every line, its `...` parts left out, must match an
//! output line in order; in a JSON block every `"key":value` pair whose value is a number,
//! a boolean, `null` or a string without digits and `...` must be printed as shown (ids,
//! times and secrets differ on every run). A block that prints `"errors"` must show it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_idm-credentials");
const README: &str = include_str!("../README.md");
const SKIP: &str = "<!-- readme-test: skip";
const MARK: &str = "@@readme-block@@";
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// A shell block to run and what it must print.
#[derive(Debug)]
struct Step {
    line: usize,
    script: String,
    expected: Option<(String, String)>,
}

/// A fenced block: (line of the fence, info string, text, skipped).
fn fenced_blocks(text: &str) -> Vec<(usize, String, String, bool)> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    let mut skip_next = false;
    while let Some((number, line)) = lines.next() {
        if line.starts_with(SKIP) {
            skip_next = true;
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                skip_next = false;
            }
            continue;
        };
        let mut body = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.starts_with("```") {
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        blocks.push((number + 1, info.trim().to_owned(), body, skip_next));
        skip_next = false;
    }
    blocks
}

/// The runnable blocks, each with the output block that follows it directly.
fn steps(text: &str) -> Vec<Step> {
    let lines: Vec<&str> = text.lines().collect();
    let blocks = fenced_blocks(text);
    let mut steps = Vec::new();
    for (index, (line, info, body, skipped)) in blocks.iter().enumerate() {
        if info != "sh" || *skipped {
            continue;
        }
        let expected = blocks
            .get(index + 1)
            .and_then(|(next, next_info, next_body, _)| {
                // Only blank lines between this block's closing fence and the next opening one.
                let closing = line + body.lines().count();
                let between = &lines[closing + 1..next - 1];
                let adjacent = between.iter().all(|l| l.trim().is_empty());
                (adjacent && (next_info == "json" || next_info == "text"))
                    .then(|| (next_info.clone(), next_body.clone()))
            });
        steps.push(Step {
            line: *line,
            script: body.clone(),
            expected,
        });
    }
    steps
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs the steps in one bash session in `dir`; returns each step's output.
fn run(steps: &[Step], dir: &Path) -> Vec<String> {
    let (walkthrough, integration) = (free_port(), free_port());
    let mut script = String::from(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null' EXIT\n",
    );
    for step in steps {
        script.push_str(&format!("echo '{MARK}'\n{}\n", step.script));
    }
    let script = script
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{walkthrough}"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{integration}"));
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a time-out stops the servers it started too.
        .process_group(0);
    for (key, _) in std::env::vars() {
        if key.starts_with("IDM_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command.env("IDM_LISTEN", format!("127.0.0.1:{walkthrough}"));
    let mut child = command.spawn().expect("bash runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            panic!("the README's blocks took longer than {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let outputs: Vec<String> = stdout
        .split(&format!("{MARK}\n"))
        .skip(1)
        .map(str::to_owned)
        .collect();
    if !status.success() {
        let step = &steps[outputs.len().saturating_sub(1).min(steps.len() - 1)];
        panic!(
            "the block at README.md line {} failed ({status}):\n{}\n--- its output:\n{}\n--- stderr:\n{stderr}",
            step.line,
            step.script,
            outputs.last().map(String::as_str).unwrap_or_default()
        );
    }
    assert_eq!(
        outputs.len(),
        steps.len(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    outputs
}

/// The `"key":value` pairs of a JSON example that must be printed as shown.
fn stable_pairs(example: &str) -> Vec<String> {
    let pair = regex::Regex::new(
        r#""[A-Za-z_][A-Za-z0-9_.]*":("(?:[^"\\]|\\.)*"|-?[0-9]+|true|false|null)"#,
    )
    .unwrap();
    pair.find_iter(example)
        .map(|m| m.as_str().to_owned())
        .filter(|pair| {
            let value = pair.split_once("\":").unwrap().1;
            !(value.starts_with('"')
                && (value.contains(|c: char| c.is_ascii_digit()) || value.contains("...")))
        })
        .collect()
}

/// Every example line, without its `...` parts, matches an output line, in order.
fn text_matches(example: &str, output: &str) -> Result<(), String> {
    let mut actual = output.lines().map(|l| l.trim_end_matches('\r'));
    for line in example.lines() {
        let parts: Vec<&str> = line.split("...").filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            continue;
        }
        let fits = |candidate: &str| {
            let mut rest = candidate;
            parts.iter().all(|part| match rest.find(part) {
                Some(at) => {
                    rest = &rest[at + part.len()..];
                    true
                }
                None => false,
            })
        };
        if !actual.by_ref().any(fits) {
            return Err(format!("no output line (in order) matches {line:?}"));
        }
    }
    Ok(())
}

fn check(step: &Step, output: &str) -> Result<(), String> {
    let shows_errors = step
        .expected
        .as_ref()
        .is_some_and(|(_, text)| text.contains("\"errors\""));
    if output.contains("\"errors\"") && !shows_errors {
        return Err("printed an error the README does not show".into());
    }
    match &step.expected {
        None => Ok(()),
        Some((kind, example)) if kind == "json" => {
            let missing: Vec<String> = stable_pairs(example)
                .into_iter()
                .filter(|pair| !output.contains(pair.as_str()))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("not printed: {}", missing.join(", ")))
            }
        }
        Some((_, example)) => text_matches(example, output),
    }
}

fn require(tool: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "the README's walkthrough needs {tool} (bash .ci/run installs it)"
    );
}

#[test]
fn every_readme_shell_block_works_as_printed() {
    for tool in ["bash", "curl", "jq"] {
        require(tool);
    }
    let steps = steps(README);
    assert!(steps.len() >= 10, "{steps:#?}");
    let dir = std::env::temp_dir().join(format!("idm-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples"),
        dir.join("examples"),
    )
    .unwrap();
    let outputs = run(&steps, &dir);
    let failures: Vec<String> = steps
        .iter()
        .zip(&outputs)
        .filter_map(|(step, output)| {
            check(step, output).err().map(|why| {
                format!(
                    "README.md line {}: {why}\n{}--- printed:\n{output}",
                    step.line, step.script
                )
            })
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The checker itself: what it accepts and what it refuses.
#[test]
fn the_output_checks_can_fail() {
    let json = r#"{"version":2,"extId":"a1b2","stateName":"active","ticket":"...x"}"#;
    assert_eq!(
        stable_pairs(json),
        [r#""version":2"#, r#""stateName":"active""#]
    );
    assert!(
        text_matches(
            "HTTP/1.1 200 OK\n...\netag: \"2\"",
            "HTTP/1.1 200 OK\r\nx: y\r\netag: \"2\"\r\n"
        )
        .is_ok()
    );
    assert!(
        text_matches(
            "etag: \"2\"\nHTTP/1.1 200 OK",
            "HTTP/1.1 200 OK\netag: \"2\""
        )
        .is_err()
    );
    assert!(
        text_matches(
            "otpauth://totp/A?secret=...&digits=8",
            "otpauth://totp/A?secret=XYZ&digits=6"
        )
        .is_err()
    );
    let step = Step {
        line: 1,
        script: String::new(),
        expected: None,
    };
    assert!(check(&step, r#"{"errors":[]}"#).is_err());
}
