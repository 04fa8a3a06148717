//! `hookd-bench`: runs the benchmark scenarios against the real stack and prints one JSON
//! object per scenario. See `--help`.

use anyhow::{bail, Context, Result};
use hookd_bench::plan::{self, Plan};
use hookd_bench::report::{self, Machine};
use hookd_bench::scenarios::Suite;
use hookd_bench::stack::StackConfig;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: hookd-bench [options]

Starts the hookd stack (release binaries) on a dedicated database and broker prefix, runs the
scenarios L, S1..S5 (with S2H: S2 at 500 msg/s, S2O: 500 msg/s to a fifo endpoint, S2OK: the
same with the fifo endpoint keyed into 32 lanes, S2R: S2 while retention expunges a backlog,
S4B: S4 without its hanging endpoint, S4C: S4 at 1,000 msg/s), S3F, G1 and G2 (S1's and S2's loads into a gateway source URL) and C (the console's
message log) and prints one JSON object per scenario on stdout.

  --quick            smaller counts and durations (S1 5,000 messages, S2 10 s, ...)
  --only S1,S2       run these scenarios (L runs with any S or G: their figures are ratios to
                     it; S1 runs with G1, whose target is S1's accepted/s; S2 with S2R; S4B
                     with S4)
  --bin-dir DIR      hookd binaries (default target/release)
  --root DIR         workspace root, where config/ is (default .)
  --pg URL           PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
  --database NAME    database dropped and recreated per scenario (default hookd_bench)
  --amqp URL         RabbitMQ URL (default amqp://guest:guest@127.0.0.1:5672/%2f)
  --prefix P         broker name prefix, its queues deleted per scenario (default bench.)
  --port-base N      ports N, N+1, N+2 for ingest, router, delivery (default 19180: below
                     Linux's ephemeral ports 32768-60999, which the generator's own connections
                     may hold; scripts/fuzz.sh uses 18080)
  --log-dir DIR      the services' output, one file per scenario and service (default target/bench)
  --write-md FILE    also write the table into FILE between the bench markers
  --command TEXT     the command named in FILE (default: this command line)";

struct Args {
    quick: bool,
    only: Option<String>,
    cfg: StackConfig,
    write_md: Option<PathBuf>,
    command: String,
}

fn parse_args() -> Result<Args> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut args = Args {
        quick: false,
        only: None,
        cfg: StackConfig {
            bin_dir: "target/release".into(),
            root: ".".into(),
            pg_base: "postgres://postgres@127.0.0.1:5432".into(),
            database: "hookd_bench".into(),
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            amqp_prefix: "bench.".into(),
            ports: [19180, 19181, 19182],
            log_dir: "target/bench".into(),
        },
        write_md: None,
        command: format!("hookd-bench {}", argv.join(" ")).trim().to_owned(),
    };
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--quick" => args.quick = true,
            "--only" => args.only = Some(value()?),
            "--bin-dir" => args.cfg.bin_dir = value()?.into(),
            "--root" => args.cfg.root = value()?.into(),
            "--pg" => args.cfg.pg_base = value()?,
            "--database" => args.cfg.database = value()?,
            "--amqp" => args.cfg.amqp_url = value()?,
            "--prefix" => args.cfg.amqp_prefix = value()?,
            "--port-base" => {
                let base: u16 = value()?.parse().context("--port-base needs a port")?;
                let base = base.min(u16::MAX - 2);
                args.cfg.ports = [base, base + 1, base + 2];
            }
            "--log-dir" => args.cfg.log_dir = value()?.into(),
            "--write-md" => args.write_md = Some(value()?.into()),
            "--command" => args.command = value()?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown option `{other}`\n{USAGE}"),
        }
    }
    // The services run in `root`; make the paths they are given absolute.
    args.cfg.root = std::fs::canonicalize(&args.cfg.root)
        .with_context(|| format!("--root {}", args.cfg.root.display()))?;
    args.cfg.bin_dir = std::path::absolute(&args.cfg.bin_dir)?;
    args.cfg.log_dir = std::path::absolute(&args.cfg.log_dir)?;
    Ok(args)
}

/// One run at a time per bench database: a second one would drop the first one's database.
fn lock(args: &Args) -> Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!("hookd-bench-{}.lock", args.cfg.database));
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another hookd-bench is running on database {} ({} is locked); wait for it or pass --database and --port-base",
            args.cfg.database,
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).context("locking the bench"),
    }
}

async fn run(args: &Args) -> Result<bool> {
    let _lock = lock(args)?;
    let scenarios = plan::select(args.only.as_deref()).map_err(anyhow::Error::msg)?;
    let plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut suite = Suite::new(args.cfg.clone(), plan);
    let mut results = Vec::new();
    let mut ok = true;
    for name in scenarios {
        eprintln!("hookd-bench: running {name}...");
        let started = std::time::Instant::now();
        let value = match suite.run(name).await {
            Ok(v) => v,
            Err(e) => {
                ok = false;
                eprintln!("hookd-bench: {name} failed: {e:#}");
                serde_json::json!({ "scenario": name, "error": format!("{e:#}") })
            }
        };
        eprintln!(
            "hookd-bench: {name} done in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        let mut out = std::io::stdout().lock();
        writeln!(out, "{value}")?;
        out.flush()?;
        results.push(value);
    }
    if let Some(path) = &args.write_md {
        let date = chrono::Utc::now().format("%Y-%m-%d %H:%M").to_string();
        let machine = Machine {
            load_before: load_before
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            ..Machine::detect()
        };
        let section = report::render(&results, &machine, &args.command, &date);
        report::write_into(path, &section)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("hookd-bench: wrote the table into {}", path.display());
    }
    Ok(ok)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hookd-bench: {e:#}");
            return ExitCode::from(2);
        }
    };
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        eprintln!("hookd-bench: cannot listen for SIGTERM");
        return ExitCode::FAILURE;
    };
    // On a signal the run future is dropped, and with it the stack: its children are killed.
    let result = tokio::select! {
        r = run(&args) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted; the services were stopped")),
        _ = term.recv() => Err(anyhow::anyhow!("terminated; the services were stopped")),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("hookd-bench: some scenarios failed (see above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("hookd-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
