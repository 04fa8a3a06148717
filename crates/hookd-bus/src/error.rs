#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("broker unavailable: {0}")]
    Amqp(#[from] lapin::Error),
    #[error("broker refused the message (nack)")]
    Nacked,
    #[error("timed out waiting for the broker")]
    Timeout,
    #[error("broker unreachable (the last connect failed moments ago)")]
    Unreachable,
    #[error("broker url: {0}")]
    BadUrl(String),
}
