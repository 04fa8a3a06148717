//! hookd's benchmark suite (issue 6): a load generator and a webhook receiver efficient enough
//! not to be the bottleneck, and the orchestrator that starts the real stack, runs the
//! scenarios and writes BENCHMARKS.md. `make bench` runs it through `scripts/bench.sh`.

pub mod console_log;
pub mod fanout_filters;
pub mod gateway;
pub mod gateway_setup;
pub mod generator;
pub mod hops;
pub mod isolation;
pub mod message_scenarios;
pub mod order_check;
pub mod ordered;
pub mod plan;
pub mod procstat;
pub mod receiver;
pub mod report;
pub mod report_notes;
pub mod retention_bench;
pub mod run;
pub mod scenarios;
pub mod service_metrics;
pub mod setup;
pub mod stack;
pub mod stats;
