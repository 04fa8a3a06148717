use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which destination addresses deliveries may reach.
#[derive(Debug, Clone)]
pub struct AddressPolicy {
    /// Loopback, private and other special-purpose addresses are allowed (local development).
    pub allow_private: bool,
    /// Subnets allowed even when private addresses are not.
    pub allowed: Vec<IpNet>,
}

/// The error a refused destination fails with.
#[derive(Debug, thiserror::Error)]
#[error("destination address {0} is not allowed (loopback, private, link-local or reserved)")]
pub struct BlockedAddress(pub IpAddr);

impl AddressPolicy {
    /// Parses `allowed` as comma-separated CIDRs (`10.1.0.0/16,fd00::/8`).
    pub fn new(allow_private: bool, allowed: &str) -> Result<Self, String> {
        let allowed = allowed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .map_err(|e| format!("`{s}` is not a subnet: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            allow_private,
            allowed,
        })
    }

    pub fn check(&self, ip: IpAddr) -> Result<(), BlockedAddress> {
        if self.allow_private || self.allowed.iter().any(|n| n.contains(&ip)) || is_global(ip) {
            Ok(())
        } else {
            Err(BlockedAddress(ip))
        }
    }
}

/// True for addresses on the public internet; false for every special-purpose range a
/// webhook must never reach (RFC 6890 and friends).
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                   // "this network", unspecified
        || a == 10                             // private
        || a == 127                            // loopback
        || (a == 100 && (64..128).contains(&b)) // CGNAT
        || (a == 169 && b == 254)              // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)      // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)      // TEST-NET-1
        || (a == 192 && b == 88 && c == 99)    // 6to4 relay anycast
        || (a == 192 && b == 168)              // private
        || (a == 198 && (b == 18 || b == 19))  // benchmarking
        || (a == 198 && b == 51 && c == 100)   // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)    // TEST-NET-3
        || a >= 224) // multicast, reserved, broadcast
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    // Addresses that carry an IPv4 address are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_global_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        // NAT64 well-known prefix.
        return is_global_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || s[0..6] == [0, 0, 0, 0, 0, 0]     // IPv4-compatible (deprecated)
        || (s[0] & 0xfe00) == 0xfc00         // unique local
        || (s[0] & 0xffc0) == 0xfe80         // link-local
        || (s[0] & 0xffc0) == 0xfec0         // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00         // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
        || s[0] == 0x2002) // 6to4, may embed private IPv4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(s: &str) -> bool {
        AddressPolicy::new(false, "")
            .unwrap()
            .check(s.parse().unwrap())
            .is_err()
    }

    #[test]
    fn refuses_every_special_purpose_class() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            "2002:7f00:1::1",
        ] {
            assert!(blocked(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!blocked(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn allow_list_opens_chosen_subnets_only() {
        let policy = AddressPolicy::new(false, "10.20.0.0/16, fd00::/8").unwrap();
        assert!(policy.check("10.20.3.4".parse().unwrap()).is_ok());
        assert!(policy.check("fd00::5".parse().unwrap()).is_ok());
        assert!(policy.check("10.21.0.1".parse().unwrap()).is_err());
        assert!(policy.check("127.0.0.1".parse().unwrap()).is_err());
        assert!(AddressPolicy::new(false, "not-a-subnet").is_err());
    }

    #[test]
    fn local_profile_allows_private() {
        let policy = AddressPolicy::new(true, "").unwrap();
        assert!(policy.check("127.0.0.1".parse().unwrap()).is_ok());
    }
}
