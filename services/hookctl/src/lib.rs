//! hookctl: hookd's command line. `run` parses the arguments and does what they say; the
//! binary (`main.rs`) only maps the result to an exit status.

mod actions;
mod body;
pub mod cli;
mod client;
pub mod config;
mod crud;
mod error;
mod listen;
mod listen_forward;
mod output;
pub mod resources;

pub use error::CliError;

use clap::ArgMatches;
use output::Format;
use std::io::Write;

/// Runs one command line (`args` with the program name first), printing to `out`.
pub async fn run(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let matches = match cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        // --help and --version are answers, not errors; clap prints both kinds itself.
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Ok(()),
                _ => Err(CliError::Usage(String::new())),
            };
        }
    };
    let format = match matches.get_one::<String>("output").map(String::as_str) {
        Some("json") => Format::Json,
        _ => Format::Table,
    };
    let config_path = matches.get_one::<std::path::PathBuf>("config");
    let given = config::Given {
        url: matches.get_one::<String>("url").map(String::as_str),
        api_key: matches.get_one::<String>("api-key").map(String::as_str),
        profile: matches.get_one::<String>("profile").map(String::as_str),
        config: config_path.map(|p| p.as_path()),
    };
    let (name, sub) = matches.subcommand().expect("a subcommand is required");
    match name {
        "completions" => return actions::completions(sub, out),
        "verify" => return actions::verify(sub, format, out),
        "login" => return actions::login(&given, out).await,
        _ => {}
    }
    let target = config::resolve(&given)?;
    let api = client::Api::new(&target.url, &target.api_key);
    if name == "send" {
        return actions::send(&api, sub, format, out).await;
    }
    if name == "listen" {
        return listen::run(&api, sub, format, out).await;
    }
    let resource = resources::find(name)
        .ok_or_else(|| CliError::usage(format!("unknown command `{name}`")))?;
    let (verb, args): (&str, &ArgMatches) = sub.subcommand().expect("a verb is required");
    crud::run(&api, resource, verb, args, format, out).await
}
