//! Trusted reverse proxies, and the client address behind them.

use std::net::IpAddr;

use actix_web::dev::ServiceRequest;
use ipnet::IpNet;

/// Addresses (single IPs or CIDR ranges) whose forwarded headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `"127.0.0.1, 10.0.0.0/8, ::1"`.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is not an IP address or CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `address` is one of them.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The address of the client: the peer, or, when the peer is a trusted
    /// proxy, the nearest untrusted address in `X-Forwarded-For`.
    pub fn client_address(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = canonical(req.peer_addr()?.ip());
        if !self.contains(peer) {
            return Some(peer);
        }
        // Each proxy may add its own header line rather than extend the first:
        // together, in order, they are one list.
        let lines: Vec<&str> = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
        let hops = lines
            .iter()
            .flat_map(|line| line.split(','))
            .rev()
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .map(canonical);
        let mut nearest = peer;
        for hop in hops {
            nearest = hop;
            if !self.contains(hop) {
                break;
            }
        }
        Some(nearest)
    }
}

/// `::ffff:10.0.0.1` is `10.0.0.1`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_addresses_and_ranges() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8,::1").unwrap();
        assert!(proxies.contains("127.0.0.1".parse().unwrap()));
        assert!(proxies.contains("10.20.30.40".parse().unwrap()));
        assert!(proxies.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!proxies.contains("192.168.1.1".parse().unwrap()));
        assert!(TrustedProxies::parse("localhost").is_err());
    }

    #[test]
    fn every_forwarded_for_line_counts() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let req = actix_web::test::TestRequest::default()
            .peer_addr("10.0.0.1:1234".parse().unwrap())
            .append_header(("x-forwarded-for", "198.51.100.7"))
            .append_header(("x-forwarded-for", "203.0.113.9, 10.0.0.2"))
            .to_srv_request();
        // The nearest untrusted hop is in the second line.
        assert_eq!(proxies.client_address(&req), Some("203.0.113.9".parse().unwrap()));
    }
}
