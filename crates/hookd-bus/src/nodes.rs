//! The broker's addresses: `amqp.url` may name several nodes of one RabbitMQ cluster,
//! comma-separated (`amqp://u:p@mq-1:5672/%2f,amqp://u:p@mq-2:5672/%2f`). A connect tries them
//! in turn, starting with the node that last worked, so a lost node costs each reconnect one
//! refused attempt at most once. (A comma inside a password is written `%2C`.)

use crate::BusError;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Index (into the list) of the node the last successful connect reached; shared by every
/// connection of the process, which all use the same list (other lists only start elsewhere).
static PREFERRED: AtomicUsize = AtomicUsize::new(0);

/// The node URLs of `urls`, in the order given; blanks between commas are skipped.
pub fn node_urls(urls: &str) -> Result<Vec<&str>, BusError> {
    let list: Vec<&str> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    if list.is_empty() {
        return Err(BusError::BadUrl("no broker address".into()));
    }
    Ok(list)
}

/// The order to try the nodes in: the preferred one first, then the others round the list.
pub(crate) fn attempt_order(len: usize) -> impl Iterator<Item = usize> {
    let start = PREFERRED.load(Ordering::Relaxed) % len.max(1);
    (0..len).map(move |k| (start + k) % len)
}

/// Remembers the node that answered, so the next connect starts there.
pub(crate) fn worked(index: usize) {
    PREFERRED.store(index, Ordering::Relaxed);
}

/// Where a node is, for logs: host and port only (the URL carries the password).
pub(crate) fn describe(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let default_port = if u.scheme() == "amqps" { 5671 } else { 5672 };
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port().unwrap_or(default_port)
            )
        }
        Err(_) => "an unparsable address".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_splits_on_commas_and_one_url_is_a_list_of_one() {
        assert_eq!(
            node_urls("amqp://g:g@a:5681/%2f, amqp://g:g@b:5682/%2f,").unwrap(),
            ["amqp://g:g@a:5681/%2f", "amqp://g:g@b:5682/%2f"]
        );
        assert_eq!(
            node_urls("amqp://g:p%2Cq@a/%2f").unwrap(),
            ["amqp://g:p%2Cq@a/%2f"]
        );
        assert!(node_urls(" , ").is_err());
    }

    #[test]
    fn tries_start_at_the_node_that_last_worked_and_go_round() {
        worked(2);
        assert_eq!(attempt_order(3).collect::<Vec<_>>(), [2, 0, 1]);
        // A shorter list (another caller) still tries each of its nodes once.
        assert_eq!(attempt_order(2).collect::<Vec<_>>(), [0, 1]);
        worked(0);
        assert_eq!(attempt_order(3).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn logs_name_the_node_without_its_password() {
        let d = describe("amqp://guest:s3cret@mq-2:5682/%2f");
        assert_eq!(d, "mq-2:5682");
        assert_eq!(describe("amqps://u:p@mq/%2f"), "mq:5671");
    }
}
