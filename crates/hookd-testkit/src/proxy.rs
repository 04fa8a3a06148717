//! A TCP proxy that tests put between hookd and PostgreSQL or RabbitMQ, to cut the link and
//! restore it: `cut` drops every open connection and refuses new ones until `restore`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Default)]
struct State {
    cut: AtomicBool,
    links: Mutex<Vec<JoinHandle<()>>>,
}

/// Forwards connections on a local port to `upstream`.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let state = Arc::new(State::default());
        let accept = {
            let state = state.clone();
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if state.cut.load(Ordering::SeqCst) {
                        // Refused: the client sees the connection close at once.
                        drop(inbound);
                        continue;
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    let mut links = state.links.lock().expect("proxy lock");
                    links.retain(|l| !l.is_finished());
                    links.push(link);
                }
            })
        };
        Self {
            addr,
            state,
            accept,
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every open connection (both sides see it close) and refuses new ones.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        for link in self.state.links.lock().expect("proxy lock").drain(..) {
            link.abort();
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }

    /// Connections currently forwarded.
    pub fn open_links(&self) -> usize {
        let mut links = self.state.links.lock().expect("proxy lock");
        links.retain(|l| !l.is_finished());
        links.len()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// `url` with its `host:port` replaced by `addr` (for `scheme://user@host:port/path` URLs).
pub fn through(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let userinfo = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!("{scheme}://{}{addr}{path}", userinfo.unwrap_or_default())
}

/// The `host:port` of a URL, resolved (`127.0.0.1:5432` for a local PostgreSQL URL).
pub fn upstream_of(url: &str) -> SocketAddr {
    use std::net::ToSocketAddrs;
    let rest = url.split_once("://").expect("a URL with a scheme").1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hostport
        .to_socket_addrs()
        .expect("resolvable host")
        .next()
        .expect("an address")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten_to_the_proxy() {
        let addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(
            through("postgres://postgres@127.0.0.1:5432/hookd_test_x", addr),
            "postgres://postgres@127.0.0.1:40000/hookd_test_x"
        );
        assert_eq!(
            through("amqp://guest:guest@127.0.0.1:5672/%2f", addr),
            "amqp://guest:guest@127.0.0.1:40000/%2f"
        );
        assert_eq!(
            upstream_of("amqp://guest:guest@127.0.0.1:5672/%2f"),
            "127.0.0.1:5672".parse().unwrap()
        );
    }

    #[tokio::test]
    async fn a_cut_closes_links_and_refuses_until_restored() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = echo.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let proxy = FaultProxy::start(upstream).await;
        let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
        c.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        proxy.cut();
        let mut rest = Vec::new();
        assert_eq!(
            c.read_to_end(&mut rest).await.unwrap_or(0),
            0,
            "the link is closed"
        );
        let mut refused = TcpStream::connect(proxy.addr()).await.unwrap();
        let _ = refused.write_all(b"x").await;
        assert_eq!(
            refused.read(&mut buf).await.unwrap_or(0),
            0,
            "new links are refused"
        );
        proxy.restore();
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        again.write_all(b"pong").await.unwrap();
        again.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    }
}
