//! Whether a fifo endpoint's lanes kept their order, from the receiver's first arrivals.
//!
//! hookd promises a lane its send order for a client that waits for each 202 before the next
//! send (docs/design-notes.md): a message accepted before another was sent arrives first. An
//! open-loop load also sends a lane's messages concurrently; their order is the order their
//! inserts became visible, which can differ from their message ids (made before the insert
//! commits). So two counts:
//! - `against_acknowledged`: the promise (S2O's and S2OK's target);
//! - `id_inversions`: arrivals against message id order, concurrent sends included (reported).

use crate::generator::GenReport;
use crate::receiver::EndpointReport;
use std::collections::HashMap;

/// First arrivals that came before a lane-mate whose 2xx the generator had before sending
/// them: `(checked, out_of_order)`. `lane_of` gives a sequence number's lane.
pub(crate) fn against_acknowledged(
    r: &EndpointReport,
    lane_of: impl Fn(u64) -> u64,
    gen: &GenReport,
) -> (u64, u64) {
    // Per lane: (sent, acknowledged, arrival rank) of each first arrival.
    let mut lanes: HashMap<u64, Vec<(u64, Option<u64>, u64)>> = HashMap::new();
    for (&seq, &rank) in r.latency_seqs.iter().zip(&r.arrival_ranks) {
        let i = seq as usize;
        let (Some(&sent), Some(&acknowledged)) = (gen.sent_us.get(i), gen.acknowledged_us.get(i))
        else {
            continue;
        };
        lanes
            .entry(lane_of(seq))
            .or_default()
            .push((sent, acknowledged, rank));
    }
    let (mut checked, mut late) = (0, 0);
    for entries in lanes.values() {
        let mut by_ack: Vec<(u64, u64)> = entries
            .iter()
            .filter_map(|&(_, ack, rank)| ack.map(|a| (a, rank)))
            .collect();
        by_ack.sort_unstable();
        let mut by_send: Vec<(u64, u64)> = entries.iter().map(|&(s, _, r)| (s, r)).collect();
        by_send.sort_unstable();
        // Sweep the sends in time: `latest` is the latest arrival among the lane-mates
        // acknowledged before this send; arriving before it breaks the order.
        let (mut next, mut latest) = (0, None::<u64>);
        for (sent, rank) in by_send {
            while next < by_ack.len() && by_ack[next].0 <= sent {
                latest = latest.max(Some(by_ack[next].1));
                next += 1;
            }
            checked += 1;
            if latest.is_some_and(|l| rank < l) {
                late += 1;
            }
        }
    }
    (checked, late)
}

/// Deliveries that reached the endpoint before a message of their lane with a smaller message
/// id: `(checked, inverted)`; first arrivals without a message id are not checked.
pub(crate) fn id_inversions(r: &EndpointReport, lane_of: impl Fn(u64) -> u64) -> (u64, u64) {
    let mut arrivals: Vec<(u64, u128, u64)> = r
        .latency_seqs
        .iter()
        .zip(&r.message_ids)
        .zip(&r.arrival_ranks)
        .filter(|((_, id), _)| **id != 0)
        .map(|((seq, id), rank)| (lane_of(*seq), *id, *rank))
        .collect();
    // By lane, then message id: within a lane the ranks must then rise.
    arrivals.sort_unstable();
    let (mut late, mut latest): (u64, Option<(u64, u64)>) = (0, None);
    for &(lane, _, rank) in &arrivals {
        match latest {
            Some((l, max)) if l == lane && rank < max => late += 1,
            _ => latest = Some((lane, rank)),
        }
    }
    (arrivals.len() as u64, late)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(seqs: &[u64], ids: &[u128], ranks: &[u64]) -> EndpointReport {
        EndpointReport {
            latency_seqs: seqs.to_vec(),
            message_ids: ids.to_vec(),
            arrival_ranks: ranks.to_vec(),
            ..Default::default()
        }
    }

    /// Sends of seq at `sent[seq]`, each acknowledged `took` later.
    fn gen(sent: &[u64], took: u64) -> GenReport {
        GenReport {
            sent_us: sent.to_vec(),
            acknowledged_us: sent.iter().map(|s| Some(s + took)).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn order_is_checked_per_lane_by_message_id() {
        // Lanes of seq % 2. Lane 0: seqs 0, 2, 4 with ids 10, 30, 50 arrived 0, 2, 5: in order.
        // Lane 1: seqs 1, 3, 5 with ids 20, 40, 60 arrived 1, 4, 3: 5 came before 3.
        let r = report(
            &[0, 1, 2, 3, 4, 5],
            &[10, 20, 30, 40, 50, 60],
            &[0, 1, 2, 4, 5, 3],
        );
        assert_eq!(id_inversions(&r, |s| s % 2), (6, 1));
        // One lane: 5 (rank 3) came before 3 (rank 4) and 4 (rank 5) is after both: still one.
        assert_eq!(id_inversions(&r, |_| 0), (6, 1));
        // Lanes interleaving freely is not a violation.
        let r = report(&[0, 1, 2, 3], &[1, 2, 3, 4], &[1, 0, 3, 2]);
        assert_eq!(id_inversions(&r, |s| s % 2), (4, 0));
        assert_eq!(id_inversions(&r, |_| 0), (4, 2));
        // Ingest gave seq 1 the smaller id (concurrent sends): arriving first is in order.
        let r = report(&[0, 1], &[20, 10], &[1, 0]);
        assert_eq!(id_inversions(&r, |_| 0), (2, 0));
        // Arrivals without an id are not checked.
        let r = report(&[0, 1, 2], &[0, 10, 20], &[2, 1, 0]);
        assert_eq!(id_inversions(&r, |_| 0), (2, 1));
    }

    #[test]
    fn the_promise_binds_only_sends_after_an_acknowledgement() {
        // One lane; seq 1 arrived before seq 0.
        let r = report(&[0, 1], &[10, 20], &[1, 0]);
        // Sent 1 ms apart, each answered after 5 ms: concurrent, either order keeps the promise.
        assert_eq!(
            against_acknowledged(&r, |_| 0, &gen(&[0, 1_000], 5_000)),
            (2, 0)
        );
        // Seq 0 answered before seq 1 went: seq 1 arriving first breaks it.
        assert_eq!(
            against_acknowledged(&r, |_| 0, &gen(&[0, 9_000], 5_000)),
            (2, 1)
        );
        // The same in separate lanes is no violation.
        assert_eq!(
            against_acknowledged(&r, |s| s, &gen(&[0, 9_000], 5_000)),
            (2, 0)
        );
        // An unanswered send binds nothing.
        let mut g = gen(&[0, 9_000], 5_000);
        g.acknowledged_us[0] = None;
        assert_eq!(against_acknowledged(&r, |_| 0, &g), (2, 0));
    }

    #[test]
    fn a_late_arrival_counts_once_against_the_latest_acknowledged() {
        // Seqs 0, 1, 2 each acknowledged before the next went; arrivals 0, 2, 1: seq 2 came
        // before seq 1 (one violation), seq 1 after seq 0 (fine).
        let r = report(&[0, 1, 2], &[1, 2, 3], &[0, 2, 1]);
        assert_eq!(
            against_acknowledged(&r, |_| 0, &gen(&[0, 10_000, 20_000], 1_000)),
            (3, 1)
        );
    }
}
