//! The command line, built from the resource table (`resources.rs`): every resource gets the
//! same verbs, with the parent flags its paths need; `--help` shows examples that work as
//! written against `make run` (key `hookd_dev_key`).

use crate::resources::{Resource, RESOURCES};
use clap::{value_parser, Arg, ArgAction, Command};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  hookctl login --url http://127.0.0.1:8080 --api-key hookd_dev_key
  hookctl apps create --set name=my-saas
  hookctl event-types create --app APP_ID --set name=user.created
  hookctl subscriptions create --app APP_ID --set name=acme
  hookctl endpoints create --subscription SUB_ID \\
      --data '{\"url\": \"http://127.0.0.1:9999/webhooks\", \"event_types\": [\"user.created\"]}'
  hookctl send --app APP_ID --event-type user.created --data '{\"id\": 1}'
  hookctl messages list --app APP_ID --follow
  hookctl deliveries list --message MSG_ID
  hookctl deliveries retry DELIVERY_ID
  hookctl deliveries retry --app APP_ID --status failed
  hookctl verify --secret whsec_... --id MSG_ID --timestamp 1767225600 \\
      --signature 'v1,...' --body-file body.json
  hookctl apps list --output json
  hookctl completions bash > /etc/bash_completion.d/hookctl

The API and key come from --url/--api-key, else HOOKD_URL/HOOKD_API_KEY, else the profile
(--profile, HOOKCTL_PROFILE, or the default one) of the config file that `hookctl login` writes
(~/.config/hookctl/config.toml; HOOKCTL_CONFIG or --config for another).
`hookctl listen --help`: forwarding live deliveries to a local URL (a cli endpoint's, or a
gateway source's events for its CLI destinations: `hookctl listen --source NAME`).";

pub fn command() -> Command {
    let mut cmd = Command::new("hookctl")
        .version(env!("CARGO_PKG_VERSION"))
        .about("hookd's command line: manage apps, endpoints and the gateway, send, follow, retry, verify")
        .after_help(EXAMPLES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(global("url", "The API's address (default http://127.0.0.1:8080)").value_name("URL"))
        .arg(global("api-key", "The API key").value_name("KEY"))
        .arg(global("profile", "A profile of the config file").value_name("NAME"))
        .arg(
            global("config", "The config file")
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf)),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .global(true)
                .value_parser(["table", "json"])
                .default_value("table")
                .help("A table for people, or JSON for scripts"),
        )
        .subcommand(login())
        .subcommand(send())
        .subcommand(crate::listen::command())
        .subcommand(verify())
        .subcommand(
            Command::new("completions")
                .about("Prints a shell completion script")
                .after_help("Example:\n  hookctl completions bash > ~/.local/share/bash-completion/completions/hookctl")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(value_parser!(clap_complete::Shell)),
                ),
        );
    for resource in RESOURCES {
        cmd = cmd.subcommand(resource_command(resource));
    }
    cmd
}

fn global(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).global(true).help(help)
}

fn login() -> Command {
    Command::new("login")
        .about("Checks a key against the API and saves it as a profile of the config file")
        .after_help(
            "Example:\n  hookctl login --url http://127.0.0.1:8080 --api-key hookd_dev_key --profile local",
        )
        .long_about(
            "Checks the key (--api-key, or HOOKD_API_KEY) against the API (--url, or HOOKD_URL), \
             then writes it to the config file (mode 0600) as the profile (--profile, default \
             `default`), which becomes the default profile.",
        )
}

fn send() -> Command {
    Command::new("send")
        .about("Sends a message to an app (or to one endpoint of a subscription)")
        .after_help(
            "Examples:\n  hookctl send --app APP_ID --event-type user.created --data '{\"id\": 1}'\n  \
             hookctl send --app APP_ID --event-type user.created --data @event.json --event-id order-42",
        )
        .arg(
            Arg::new("app")
                .long("app")
                .help("The app's id")
                .required_unless_present("endpoint"),
        )
        .arg(
            Arg::new("event-type")
                .long("event-type")
                .required(true)
                .help("The event type (`user.created`)"),
        )
        .arg(data_arg().required(true))
        .arg(Arg::new("event-id").long("event-id").help(
            "Makes the send idempotent: the same event id again returns the first message",
        ))
        .arg(Arg::new("version").long("version").help("Default 1.0"))
        .arg(
            Arg::new("endpoint")
                .long("endpoint")
                .requires("subscription")
                .help("Only to this endpoint (with --subscription)"),
        )
        .arg(
            Arg::new("subscription")
                .long("subscription")
                .help("The endpoint's subscription"),
        )
}

fn verify() -> Command {
    Command::new("verify")
        .about("Checks a Standard Webhooks signature offline (exit 0: valid, 1: not)")
        .after_help(
            "Example (the values of a request's webhook-id, webhook-timestamp and webhook-signature headers):\n  \
             hookctl verify --secret whsec_... --id MSG_ID --timestamp 1767225600 --signature 'v1,...' --body-file body.json",
        )
        .arg(
            Arg::new("secret")
                .long("secret")
                .env("HOOKCTL_WEBHOOK_SECRET")
                .hide_env_values(true)
                .required(true)
                .help("The endpoint's secret (whsec_...)"),
        )
        .arg(Arg::new("id").long("id").required(true).help("webhook-id"))
        .arg(
            Arg::new("timestamp")
                .long("timestamp")
                .required(true)
                .value_parser(value_parser!(i64))
                .help("webhook-timestamp (unix seconds)"),
        )
        .arg(
            Arg::new("signature")
                .long("signature")
                .required(true)
                .help("webhook-signature (`v1,...`, several space-separated)"),
        )
        .arg(
            Arg::new("body")
                .long("body")
                .conflicts_with("body-file")
                .help("The raw body (else --body-file, else standard input)"),
        )
        .arg(
            Arg::new("body-file")
                .long("body-file")
                .value_parser(value_parser!(PathBuf))
                .help("A file holding the raw body"),
        )
        .arg(
            Arg::new("tolerance")
                .long("tolerance")
                .value_parser(value_parser!(u64))
                .default_value("300")
                .help("Seconds the timestamp may be from now (0: not checked)"),
        )
}

fn data_arg() -> Arg {
    Arg::new("data")
        .long("data")
        .short('d')
        .value_name("JSON")
        .help("The JSON body; @FILE reads a file, @- standard input")
}

fn set_arg() -> Arg {
    Arg::new("set")
        .long("set")
        .value_name("FIELD=VALUE")
        .action(ArgAction::Append)
        .help("A field of the body (JSON value, else text); dotted for nested: metadata.tier=gold")
}

fn parent_args(scopes: &[&crate::resources::Scope], required: bool) -> Vec<Arg> {
    let flags: Vec<(&str, &str)> = scopes.iter().filter_map(|s| s.parent).collect();
    let alone = flags.len() == 1;
    flags
        .iter()
        .map(|(flag, help)| {
            let mut arg = Arg::new(*flag).long(*flag).help(*help);
            if alone && required {
                arg = arg.required(true);
            }
            let others: Vec<&str> = flags
                .iter()
                .map(|(f, _)| *f)
                .filter(|f| f != flag)
                .collect();
            if !others.is_empty() {
                arg = arg.conflicts_with_all(others);
            }
            arg
        })
        .collect()
}

fn resource_command(r: &'static Resource) -> Command {
    let (id_name, id_help) = if r.key == "name" {
        ("NAME", "Its name")
    } else {
        ("ID", "Its id")
    };
    let id = || {
        Arg::new("id")
            .required(true)
            .value_name(id_name)
            .help(id_help)
    };
    let mut cmd = Command::new(r.name)
        .about(r.about)
        .subcommand_required(true)
        .arg_required_else_help(true);
    let lists: Vec<_> = r.lists.iter().collect();
    let parent_required = r.lists.iter().all(|s| s.parent.is_some());
    let mut list = Command::new("list")
        .about(format!("Lists {}, newest first", r.name))
        .args(parent_args(&lists, parent_required))
        .arg(
            Arg::new("limit")
                .long("limit")
                .value_parser(value_parser!(u32).range(1..=250))
                .help("Models per page (default 100)"),
        )
        .arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .conflicts_with("follow")
                .help("Every page, not just the first"),
        )
        .arg(
            Arg::new("filter")
                .long("filter")
                .value_name("FIELD=VALUE")
                .action(ArgAction::Append)
                .help("A filter of the list (query parameter): status=failed, created_at[gte]=2026-01-01"),
        )
        .arg(
            Arg::new("follow")
                .long("follow")
                .short('f')
                .action(ArgAction::SetTrue)
                .help("Keeps polling, printing each new or changed one (JSON: one per line)"),
        )
        .arg(
            Arg::new("interval")
                .long("interval")
                .default_value("1000")
                .value_parser(value_parser!(u64).range(50..))
                .help("Milliseconds between polls of --follow"),
        );
    if parent_required && lists.len() > 1 {
        let flags: Vec<&str> = lists.iter().filter_map(|s| s.parent.map(|p| p.0)).collect();
        list = list.group(clap::ArgGroup::new("parent").args(flags).required(true));
    }
    cmd = cmd.subcommand(list);
    if let Some(item) = r.item.as_ref().filter(|_| r.get) {
        cmd = cmd.subcommand(
            Command::new("get")
                .about("Shows one")
                .arg(id())
                .args(parent_args(&[item], true)),
        );
    }
    if let Some(create) = &r.create {
        cmd = cmd.subcommand(
            Command::new("create")
                .about("Creates one from --data and/or --set")
                .args(parent_args(&[create], true))
                .arg(data_arg())
                .arg(set_arg()),
        );
    }
    if let (Some(item), Some(_)) = (&r.item, &r.update) {
        cmd = cmd.subcommand(
            Command::new("update")
                .about("Changes one: the fields of --data and/or --set")
                .arg(id())
                .args(parent_args(&[item], true))
                .arg(data_arg())
                .arg(set_arg()),
        );
    }
    if let (Some(item), true) = (&r.item, r.delete) {
        cmd = cmd.subcommand(
            Command::new("delete")
                .about("Deletes one")
                .arg(id())
                .args(parent_args(&[item], true)),
        );
    }
    if r.retry.is_some() {
        let mut retry = Command::new("retry").about("Retries one now");
        if r.name == "deliveries" {
            retry = retry
                .about("Retries one delivery now, or in bulk those of an app (--app, with filters)")
                .arg(
                    Arg::new("id")
                        .value_name("ID")
                        .help("The delivery's id")
                        .required_unless_present("app"),
                )
                .arg(
                    Arg::new("app")
                        .long("app")
                        .conflicts_with("id")
                        .help("Bulk: the app's deliveries"),
                )
                .arg(
                    Arg::new("status")
                        .long("status")
                        .requires("app")
                        .help("Bulk: only those of this status (failed, succeeded, pending)"),
                )
                .arg(
                    Arg::new("endpoint")
                        .long("endpoint")
                        .requires("app")
                        .help("Bulk: only those of this endpoint"),
                )
                .arg(
                    Arg::new("event-type")
                        .long("event-type")
                        .requires("app")
                        .help("Bulk: only those of this event type"),
                )
                .arg(
                    Arg::new("since")
                        .long("since")
                        .requires("app")
                        .help("Bulk: only those created at or after this time (RFC 3339)"),
                );
        } else {
            retry = retry.arg(id());
        }
        cmd = cmd.subcommand(retry);
    }
    cmd
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        super::command().debug_assert();
    }
}
