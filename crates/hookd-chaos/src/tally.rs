//! Counting what arrived against what was accepted, for the messages API and the gateway alike.

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// One delivery as counted: `id` names what was accepted (the message id, or the gateway's
/// request id), `key` names the delivery that a second arrival duplicates (the message id, or
/// the event id).
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub id: &'a str,
    pub key: &'a str,
}

/// Accepted against delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub accepted: usize,
    /// Distinct `key`s that arrived.
    pub delivered_unique: usize,
    /// Accepted ids with no arrival.
    pub lost: usize,
    /// Arrivals beyond the first of each `key`.
    pub duplicates: usize,
}

impl Tally {
    pub fn count<'a>(accepted: &[String], arrivals: impl IntoIterator<Item = Arrival<'a>>) -> Self {
        let mut ids = HashSet::new();
        let mut keys = HashMap::<&str, usize>::new();
        for a in arrivals {
            ids.insert(a.id);
            *keys.entry(a.key).or_default() += 1;
        }
        Self {
            accepted: accepted.len(),
            delivered_unique: keys.len(),
            lost: accepted
                .iter()
                .filter(|id| !ids.contains(id.as_str()))
                .count(),
            duplicates: keys.values().map(|n| n - 1).sum(),
        }
    }

    /// When (seconds after `start`, to 0.1 s) each arrival beyond the first of its `key` came:
    /// which event a duplicate followed.
    pub fn duplicate_times<'a>(
        start: Instant,
        arrivals: impl IntoIterator<Item = (&'a str, Instant)>,
    ) -> Vec<f64> {
        let mut seen = HashSet::new();
        let mut arrivals: Vec<_> = arrivals.into_iter().collect();
        arrivals.sort_by_key(|(_, at)| *at);
        arrivals
            .into_iter()
            .filter(|(key, _)| !seen.insert(*key))
            .map(|(_, at)| {
                (at.saturating_duration_since(start).as_secs_f64() * 10.0).round() / 10.0
            })
            .collect()
    }

    /// Whether every accepted id arrived.
    pub fn complete(accepted: &[String], arrived_ids: impl IntoIterator<Item = String>) -> bool {
        let got: HashSet<String> = arrived_ids.into_iter().collect();
        accepted.iter().all(|id| got.contains(id))
    }

    /// The report's fields; `refused` sends were never accepted (an outage).
    pub fn json(&self, refused: usize) -> Value {
        json!({
            "accepted": self.accepted,
            "refused_during_outages": refused,
            "delivered_unique": self.delivered_unique,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "duplicate_ratio": if self.accepted > 0 {
                self.duplicates as f64 / self.accepted as f64
            } else {
                0.0
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn counts_lost_by_id_and_duplicates_by_key() {
        let accepted = ids(&["req_1", "req_2", "req_3"]);
        // req_1's event arrived twice (a redelivery), req_2 once, req_3 never; req_9 was
        // stored during an outage whose answer never came back: delivered, not lost.
        let arrivals = [
            Arrival {
                id: "req_1",
                key: "evt_a",
            },
            Arrival {
                id: "req_1",
                key: "evt_a",
            },
            Arrival {
                id: "req_2",
                key: "evt_b",
            },
            Arrival {
                id: "req_9",
                key: "evt_z",
            },
        ];
        let t = Tally::count(&accepted, arrivals);
        assert_eq!(
            t,
            Tally {
                accepted: 3,
                delivered_unique: 3,
                lost: 1,
                duplicates: 1,
            }
        );
        let v = t.json(4);
        assert_eq!(v["lost"], 1);
        assert_eq!(v["refused_during_outages"], 4);
        assert!((v["duplicate_ratio"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_lost_when_every_id_arrived() {
        let accepted = ids(&["m1", "m2"]);
        let t = Tally::count(
            &accepted,
            [
                Arrival {
                    id: "m2",
                    key: "m2",
                },
                Arrival {
                    id: "m1",
                    key: "m1",
                },
            ],
        );
        assert_eq!((t.lost, t.duplicates, t.delivered_unique), (0, 0, 2));
        assert!(Tally::complete(&accepted, ids(&["m1", "x", "m2"])));
        assert!(!Tally::complete(&accepted, ids(&["m1"])));
        assert_eq!(Tally::count(&[], []).json(0)["duplicate_ratio"], 0.0);
    }

    #[test]
    fn duplicate_times_are_those_of_the_later_arrivals() {
        let start = Instant::now();
        let at = |s: f64| start + std::time::Duration::from_secs_f64(s);
        let times = Tally::duplicate_times(
            start,
            [
                ("b", at(7.0)),
                ("a", at(1.0)),
                ("a", at(36.26)),
                ("b", at(2.0)),
            ],
        );
        assert_eq!(times, [7.0, 36.3]);
    }
}
