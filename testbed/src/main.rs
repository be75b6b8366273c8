//! `stdb-testbed`: run things against a real SpacetimeDB server.
//!
//!   stdb-testbed serve --module M [--module M2 ...] -- CMD ARGS...
//!       start a server, publish the modules, run CMD with STDB_* env vars, stop, exit with CMD's code
//!   stdb-testbed start [--module M ...]
//!       start a server (and publish modules), print its URL, run until killed
//!   stdb-testbed binary
//!       print the server binary path

use std::process::{Command, ExitCode};

use stdb_testbed::{standalone_binary, Database, Server, TestbedError};

const USAGE: &str = "usage:
  stdb-testbed serve --module M [--module M2 ...] -- CMD [ARGS...]
  stdb-testbed start [--module M ...]
  stdb-testbed binary";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("start") => start(&args[1..]),
        Some("binary") if args.len() == 1 => standalone_binary().map(|p| {
            println!("{}", p.display());
            ExitCode::SUCCESS
        }),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("stdb-testbed: {e}");
        ExitCode::FAILURE
    })
}

/// Splits `--module A --module B -- CMD...` into (modules, command).
fn parse_modules(args: &[String]) -> Result<(Vec<String>, Vec<String>), TestbedError> {
    let usage = |m: &str| TestbedError::Io(format!("{m}\n{USAGE}"));
    let mut modules = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--module" | "-m" => {
                let m = args.get(i + 1).ok_or_else(|| usage("--module needs a value"))?;
                modules.push(m.clone());
                i += 2;
            }
            "--" => return Ok((modules, args[i + 1..].to_vec())),
            other => return Err(usage(&format!("unexpected argument '{other}'"))),
        }
    }
    Ok((modules, Vec::new()))
}

/// "sdk-test" -> "SDK_TEST"
fn env_suffix(module: &str) -> String {
    module.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn publish_all(server: &Server, modules: &[String]) -> Result<Vec<Database>, TestbedError> {
    modules.iter().map(|m| server.publish(m)).collect()
}

fn serve(args: &[String]) -> Result<ExitCode, TestbedError> {
    let (modules, command) = parse_modules(args)?;
    if modules.is_empty() || command.is_empty() {
        return Err(TestbedError::Io(format!("serve needs at least one --module and a command after --\n{USAGE}")));
    }
    let server = Server::start()?;
    let dbs = publish_all(&server, &modules)?;

    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..])
        .env("STDB_URI", server.http_url())
        .env("STDB_DATABASE", &dbs[0].name)
        .env("STDB_OWNER_TOKEN", &dbs[0].owner_token);
    for (module, db) in modules.iter().zip(&dbs) {
        cmd.env(format!("STDB_DB_{}", env_suffix(module)), &db.name);
    }
    let status = cmd.status().map_err(|e| TestbedError::Io(format!("running {}: {e}", command[0])))?;
    drop(server); // stop the server before we report

    use std::os::unix::process::ExitStatusExt;
    // Shell convention: a command killed by signal N exits with 128+N.
    let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}

fn start(args: &[String]) -> Result<ExitCode, TestbedError> {
    let (modules, rest) = parse_modules(args)?;
    if !rest.is_empty() {
        return Err(TestbedError::Io(format!("start takes no command\n{USAGE}")));
    }
    let server = Server::start()?;
    println!("STDB_URI={}", server.http_url());
    if let Some(log) = server.log_path() {
        println!("# server log: {}", log.display());
    }
    for (module, db) in modules.iter().zip(publish_all(&server, &modules)?) {
        println!("STDB_DB_{}={}", env_suffix(module), db.name);
        println!("# {module} owner token: {}", db.owner_token);
    }
    println!("# running until killed (Ctrl-C)");
    // The server is a child tied to this process (PDEATHSIG): killing us stops it.
    loop {
        std::thread::park();
    }
}
