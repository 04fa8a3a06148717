//! How a binary ends when it fails: what a person at the terminal needs to read.

use std::process::ExitCode;

/// Prints a failed run as one `error: ...` line with every cause (the database's or broker's
/// own words: `Connection refused`, `sorry, too many clients already`), and exits 1. The
/// causes are library errors and setting names, never the URLs themselves, so no password is
/// printed. The backtrace only when asked for (`RUST_BACKTRACE` set and not `0`): a person
/// starting a service wants the reason, not the stack.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {}", hookd_domain::reason(error.as_ref()));
    if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
        eprintln!("{}", error.backtrace());
    }
    ExitCode::FAILURE
}
